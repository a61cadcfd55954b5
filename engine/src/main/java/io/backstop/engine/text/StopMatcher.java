package io.backstop.engine.text;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could still turn into a stop string is held back,
 * so a stop string is never emitted, even when it arrives split across several tokens.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final int longest;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
        this.longest = stops.stream().mapToInt(String::length).max().orElse(0);
    }

    /** Result of feeding text: what may be emitted now, and whether a stop string was hit. */
    public record Step(String emit, boolean stopped) {}

    public Step feed(String text) {
        if (stopped) return new Step("", true);
        if (stops.isEmpty()) return new Step(text, false);
        held.append(text);
        int first = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        if (first >= 0) {
            stopped = true;
            String emit = held.substring(0, first);
            held.setLength(0);
            return new Step(emit, true);
        }
        int keep = heldBackLength();
        String emit = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Step(emit, false);
    }

    public boolean isStopped() {
        return stopped;
    }

    /** Text held back when generation ends for another reason: it is not a stop string, so it is released. */
    public String flush() {
        String s = held.toString();
        held.setLength(0);
        return s;
    }

    /** Length of the longest suffix of the held text that is a proper prefix of some stop string. */
    private int heldBackLength() {
        String h = held.toString();
        int max = Math.min(h.length(), longest - 1);
        for (int len = max; len > 0; len--) {
            int start = h.length() - len;
            for (String s : stops) {
                if (s.length() > len && h.regionMatches(start, s, 0, len)) {
                    // Never cut a surrogate pair in two.
                    if (Character.isLowSurrogate(h.charAt(start)) && start > 0) return len + 1;
                    return len;
                }
            }
        }
        return 0;
    }
}
