package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.MAX;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * A token's activations as 8-bit integers, per block of 32 a scale {@code d = max|x| / 127} and {@code q = rint(x / d)}
 * (llama.cpp quantizes activations the same way, to Q8_0 or Q8_K, for its integer dot products). The short-lane kernels
 * ({@link Q4_KQuadKernels}) multiply 4-bit weights by these in 16-bit lanes, 32 products per instruction against a float
 * FMA's 16 and no int-to-float conversion per weight, and scale each block's exact integer sum once.
 *
 * <p>Each q is stored in a float's place as its 16 bits twice ({@code q & 0xFFFF | q << 16}, the float's bits), so a
 * kernel's {@code FloatVector.broadcast} of it, reinterpreted, is q in every short lane: a broadcast from memory, one
 * load. Written with vector stores of reinterpreted ints, so no float conversion ever sees those bits.
 */
final class Q8Activations {
    static final int BLOCK = 32;
    /** {@code v + 1.5·2²³ − 1.5·2²³} rounds v to the nearest integer, ties to even (as {@link Math#rint}), for |v| < 2²²: exact in floats. */
    private static final float ROUND = 0x1.8p23f;

    private Q8Activations() {}

    /**
     * The {@code blocks} blocks of 32 activations from {@code x[xOff]} into {@code q[qOff]} on (one float's place per
     * value, in their order), their scales into {@code d[dOff]} on and the sums of their integers (exact) into
     * {@code sums[sOff]} on: a product's terms that multiply a block's sum (Q4_K's mins, Q4_0's −8) take the rounded
     * activations' sum too, so the whole product is that of the rounded activations. With the exact sum instead, the
     * rounding of a block moved Q4_K's products in proportion to {@code d·scale·q} rather than to the weights, which
     * the min term centres: 2.2× the RMS logit error on tiny-gguf's Q4_K_M model (0.029 against 0.013; llama.cpp's own is
     * 0.022).
     */
    static void quantize(float[] x, int xOff, int blocks, float[] q, int qOff, float[] d, int dOff, float[] sums, int sOff) {
        if (!Lanes.VECTOR || BLOCK % L != 0) {
            for (int b = 0; b < blocks; b++) {
                int o = xOff + b * BLOCK, sum = 0;
                float amax = 0;
                for (int k = 0; k < BLOCK; k++) amax = Math.max(amax, Math.abs(x[o + k]));
                float id = inverse(amax);
                d[dOff + b] = amax / 127f;
                for (int k = 0; k < BLOCK; k++) {
                    int v = value(x[o + k], id);
                    q[qOff + b * BLOCK + k] = Float.intBitsToFloat(twice(v));
                    sum += v;
                }
                sums[sOff + b] = sum;
            }
            return;
        }
        for (int b = 0; b < blocks; b++) {
            int o = xOff + b * BLOCK;
            FloatVector m = FloatVector.fromArray(F, x, o).abs();
            for (int k = L; k < BLOCK; k += L) m = m.max(FloatVector.fromArray(F, x, o + k).abs());
            float amax = m.reduceLanes(MAX), id = inverse(amax); // a maximum is exact in any order
            d[dOff + b] = amax / 127f;
            IntVector sum = IntVector.zero(I);
            for (int k = 0; k < BLOCK; k += L) {
                IntVector v = (IntVector) FloatVector.fromArray(F, x, o + k).mul(id).add(ROUND).sub(ROUND).convert(F2I, 0);
                v.and(0xFFFF).or(v.lanewise(LSHL, 16)).reinterpretAsFloats().intoArray(q, qOff + b * BLOCK + k);
                sum = sum.add(v);
            }
            sums[sOff + b] = sum.reduceLanes(ADD); // integers: exact in any order
        }
    }

    /** {@code 127 / amax}, or 0 for a block of zeros. */
    private static float inverse(float amax) {
        return amax == 0 ? 0 : 127f / amax;
    }

    /** The integer q of activation {@code x} in a block of inverse scale {@code id}: the vector path's operations. */
    static int value(float x, float id) {
        return (int) (x * id + ROUND - ROUND);
    }

    /** q's 16 bits twice, as stored. */
    private static int twice(int q) {
        return q & 0xFFFF | q << 16;
    }

    /** The integer stored at {@code q[i]} by {@link #quantize}. */
    static int stored(float[] q, int i) {
        return (short) Float.floatToRawIntBits(q[i]);
    }
}
