package io.backstop.bench.model;

/**
 * One line of the model benchmark table.
 *
 * @param backend "native" (GGUF) or "jlama"
 * @param ceiling physical decode ceiling in tok/s (read bandwidth ÷ weight bytes per token); NaN for prompt tests
 */
public record ModelRow(String model, String backend, String dtype, int threads, String test, double min, double median, double max,
                       double ceiling, double weightGB) {
    public double ratioToCeiling() {
        return Double.isNaN(ceiling) || ceiling == 0 ? Double.NaN : median / ceiling;
    }
}
