package io.backstop.bench.vsllama;

import io.backstop.bench.Stats;
import java.util.List;

/**
 * One test of one file at one thread count: our tok/s and llama-bench's, repetition by repetition (the two
 * interleaved), with the decode ceiling (read bandwidth ÷ weight bytes per token).
 *
 * @param ceiling tok/s the measured read bandwidth allows for decoding; NaN for prompt tests (compute-bound)
 */
public record VsLlamaRow(String shape, String dtype, int threads, String test, List<Double> ours, List<Double> llama,
                         double weightGB, double readGBps, double ceiling) {
    public VsLlamaRow {
        ours = List.copyOf(ours);
        llama = List.copyOf(llama);
    }

    public double oursMedian() {
        return Stats.median(ours);
    }

    public double llamaMedian() {
        return llama.isEmpty() ? Double.NaN : Stats.median(llama);
    }

    /** Ours ÷ llama.cpp's, medians; above 1 we are faster. */
    public double ratio() {
        return oursMedian() / llamaMedian();
    }

    static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
