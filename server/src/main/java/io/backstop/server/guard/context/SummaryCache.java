package io.backstop.server.guard.context;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Summaries of conversation prefixes, so a long chat that grows turn by turn is summarized once per
 * prefix, not on every request. Least recently used entries leave first; at most {@code capacity}
 * are kept. Keys are digests of the summarized turns (see {@link ContextFitter#key}), never the text.
 */
public final class SummaryCache {
    public static final int DEFAULT_CAPACITY = 1024;
    private final Map<String, String> entries;

    public SummaryCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The cached summary, or a new one from {@code make} (outside the lock: summaries take a model call). */
    public String get(String key, Supplier<String> make) {
        synchronized (this) {
            String s = entries.get(key);
            if (s != null) return s;
        }
        String s = make.get();
        synchronized (this) {
            entries.put(key, s);
        }
        return s;
    }

    public synchronized int size() {
        return entries.size();
    }
}
