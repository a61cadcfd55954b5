package io.backstop.server.guard;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Placeholders and the originals they replaced ({@code [EMAIL_1]} → the address), per request, as LLM
 * Guard's Vault: the same value always gets the same placeholder, and {@link #restore} puts the
 * originals back into an answer. Lives only as long as its request; never logged.
 */
public final class Vault {
    static final Pattern PLACEHOLDER = Pattern.compile("\\[([A-Z_]+)_(\\d+)\\]");
    /** Longest placeholder text, which the streaming restorer may have to hold back. */
    public static final int MAX_PLACEHOLDER = 24;
    private final Map<String, String> byPlaceholder = new LinkedHashMap<>();
    private final Map<String, String> byValue = new LinkedHashMap<>();
    private final Map<String, Integer> counters = new LinkedHashMap<>();

    public static Vault empty() {
        return new Vault();
    }

    /** The placeholder for {@code value} of {@code type}, creating {@code [TYPE_n]} the first time. */
    public synchronized String placeholder(String type, String value) {
        String key = type + '\u0000' + value;
        String p = byValue.get(key);
        if (p != null) return p;
        int n = counters.merge(type, 1, Integer::sum);
        p = "[" + type + "_" + n + "]";
        byValue.put(key, p);
        byPlaceholder.put(p, value);
        return p;
    }

    public synchronized boolean isEmpty() {
        return byPlaceholder.isEmpty();
    }

    public synchronized int size() {
        return byPlaceholder.size();
    }

    /** The answer with every known placeholder replaced by its original; unknown ones stay as they are. */
    public synchronized String restore(String answer) {
        if (byPlaceholder.isEmpty() || answer.indexOf('[') < 0) return answer;
        Matcher m = PLACEHOLDER.matcher(answer);
        StringBuilder b = new StringBuilder(answer.length());
        while (m.find()) m.appendReplacement(b, Matcher.quoteReplacement(byPlaceholder.getOrDefault(m.group(), m.group())));
        m.appendTail(b);
        return b.toString();
    }

    @Override
    public String toString() {
        return "Vault[" + size() + " placeholders]"; // never the values
    }
}
