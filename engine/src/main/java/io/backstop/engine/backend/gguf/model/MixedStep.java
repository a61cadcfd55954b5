package io.backstop.engine.backend.gguf.model;

import io.backstop.engine.backend.gguf.tensor.WeightTensor;

/**
 * A forward pass's products when its step mixes tokens the sequences generated (the leading rows, one per sequence)
 * with prompt rows: a tensor whose decode kernels round activations to 8 bits ({@link WeightTensor#roundsActivations})
 * multiplies the two apart — the generated rows through its decode form, the prompt rows (copied out to {@link #tail})
 * through its prompt form, in floats — so each row gets the bits it gets in a step of its own kind, whatever it shares
 * a step with. Every other product, and every step of one kind, runs its rows in one call.
 */
final class MixedStep {
    /** The prompt rows of a product's input, copied out: products take their inputs from row 0. */
    private final float[] tail;
    /** Whether any of the model's products rounds activations in its decode kernels. */
    private final boolean rounding;
    /** Leading rows that are generated tokens in the phase at hand; 0 unless the step mixes both kinds. */
    private int generated;

    MixedStep(Weights w, int capacity, int widest) {
        this.rounding = w.roundsActivations();
        this.tail = rounding ? new float[capacity * widest] : new float[0];
    }

    /** A step of n rows, its first {@code generated} generated tokens. */
    void begin(int n, int generated) {
        this.generated = rounding && generated > 0 && generated < n ? generated : 0;
    }

    /**
     * The logits' phase: of the packed rows {@code outRows[0 .. outs)}, the generated ones lead (they all want logits
     * and come first in the step).
     */
    void logits(int[] outRows, int outs) {
        int g = generated;
        if (g == 0) return;
        generated = 0;
        while (generated < outs && outRows[generated] < g) generated++;
    }

    /** Before a phase: the prompt rows of {@code in} ({@code cols} each, up to {@code rows}) to the tail. */
    void copyTail(float[] in, int cols, int rows) {
        if (generated > 0) System.arraycopy(in, generated * cols, tail, 0, (rows - generated) * cols);
    }

    /** Rows {@code [from, to)} of {@code m} times the {@code rows} inputs from {@code in} into {@code out} (row t at {@code t·outStride}). */
    void product(WeightTensor m, float[] in, int rows, boolean decode, float[] out, int outStride, int from, int to, boolean add, float[] scratch) {
        int g = generated;
        if (g == 0 || !m.roundsActivations()) {
            m.matmul(in, rows, decode, out, 0, outStride, from, to, add, scratch);
            return;
        }
        if (g < rows) m.matmul(tail, rows - g, false, out, g * outStride, outStride, from, to, add, scratch);
        m.matmul(in, g, true, out, 0, outStride, from, to, add, scratch);
    }
}
