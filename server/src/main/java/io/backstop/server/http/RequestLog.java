package io.backstop.server.http;

import io.backstop.engine.FinishReason;
import io.backstop.engine.Timings;
import io.backstop.engine.Usage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The last finished generations, newest last: what the server did, for diagnostics and tests. */
public final class RequestLog {
    public record Entry(String requestId, String model, FinishReason finishReason, Usage usage, Timings timings) {}

    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();

    public RequestLog(int capacity) {
        this.capacity = capacity;
    }

    public synchronized void add(Entry e) {
        if (entries.size() == capacity) entries.removeFirst();
        entries.addLast(e);
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }
}
