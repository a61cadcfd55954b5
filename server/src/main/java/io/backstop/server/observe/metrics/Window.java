package io.backstop.server.observe.metrics;

import java.util.Arrays;

/**
 * The last N values of something recorded once per request (time to first token, time per output
 * token, judge scores), for percentiles computed when someone asks — never on the token path.
 */
public final class Window {
    private final double[] values;
    private long count;

    public Window(int capacity) {
        values = new double[capacity];
    }

    public synchronized void add(double v) {
        values[(int) (count++ % values.length)] = v;
    }

    /** Percentiles (0–100) of what the window holds, NaN when empty; sorted off the recording path. */
    public double[] percentiles(double... ps) {
        double[] sorted;
        synchronized (this) {
            sorted = Arrays.copyOf(values, (int) Math.min(count, values.length));
        }
        Arrays.sort(sorted);
        double[] out = new double[ps.length];
        for (int i = 0; i < ps.length; i++) {
            int rank = (int) Math.ceil(ps[i] / 100 * sorted.length); // nearest rank
            out[i] = sorted.length == 0 ? Double.NaN : sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
        }
        return out;
    }

    public synchronized long count() {
        return count;
    }

    public double mean() {
        double[] v;
        synchronized (this) {
            v = Arrays.copyOf(values, (int) Math.min(count, values.length));
        }
        return v.length == 0 ? Double.NaN : Arrays.stream(v).average().orElse(Double.NaN);
    }
}
