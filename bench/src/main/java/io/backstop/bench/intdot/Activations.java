package io.backstop.bench.intdot;

import static io.backstop.bench.intdot.Shapes.BLOCK;
import static io.backstop.bench.intdot.Shapes.F;
import static io.backstop.bench.intdot.Shapes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The activations of one product in every form a kernel of the experiment reads, prepared once per product
 * into arrays allocated once: F32 as given; Q8 blocks of 32 (as llama.cpp's quantize_row_q8_0: d = amax/127,
 * q = round(x/d)) kept as shorts with one F32 scale per block; for the Q4_0 integer kernel, per block the low-
 * and high-nibble halves each duplicated (one copy per row of a pair) and −8·(x_lo + x_hi); for the Q4_0 fold
 * kernel x_lo, x_hi − 16·x_lo and −8·(x_lo + x_hi) as floats.
 */
final class Activations {
    final int batch, cols, blocks;
    final float[] x;
    final short[] q8;
    final float[] q8Scale;
    final short[] q4;
    final float[] fold;

    Activations(float[] x, int batch, int cols) {
        this.x = x;
        this.batch = batch;
        this.cols = cols;
        this.blocks = cols / BLOCK;
        q8 = new short[batch * cols];
        q8Scale = new float[batch * blocks];
        q4 = new short[batch * blocks * 3 * BLOCK];
        fold = new float[batch * blocks * 3 * BLOCK];
    }

    void quantize() {
        for (int t = 0; t < batch; t++) {
            for (int b = 0; b < blocks; b++) {
                int o = t * cols + b * BLOCK;
                FloatVector v0 = FloatVector.fromArray(F, x, o), v1 = FloatVector.fromArray(F, x, o + L);
                float amax = v0.abs().max(v1.abs()).reduceLanes(VectorOperators.MAX);
                float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
                q8Scale[t * blocks + b] = d;
                for (int j = 0; j < BLOCK; j++) q8[o + j] = (short) Math.round(x[o + j] * id);
            }
        }
    }

    /** After {@link #quantize}: the Q4_0 integer kernel's operands. */
    void prepareQ4() {
        for (int t = 0; t < batch; t++) {
            for (int b = 0; b < blocks; b++) {
                int o = t * cols + b * BLOCK, p = (t * blocks + b) * 3 * BLOCK;
                for (int j = 0; j < 16; j++) {
                    short xl = q8[o + j], xh = q8[o + 16 + j];
                    q4[p + j] = q4[p + 16 + j] = xl;
                    q4[p + 32 + j] = q4[p + 48 + j] = xh;
                    q4[p + 64 + j] = q4[p + 80 + j] = (short) (-8 * (xl + xh));
                }
            }
        }
    }

    void prepareFold() {
        FloatVector minus16 = FloatVector.broadcast(F, -16f);
        for (int t = 0; t < batch; t++) {
            for (int b = 0; b < blocks; b++) {
                int o = t * cols + b * BLOCK, p = (t * blocks + b) * 3 * BLOCK;
                FloatVector xl = FloatVector.fromArray(F, x, o), xh = FloatVector.fromArray(F, x, o + 16);
                xl.intoArray(fold, p);
                xl.fma(minus16, xh).intoArray(fold, p + 16);
                xl.add(xh).mul(-8f).intoArray(fold, p + 32);
            }
        }
    }

    /** The value the integer kernels multiply for activation {@code k} of token {@code t}. */
    double quantized(int t, int k) {
        return (double) q8[t * cols + k] * q8Scale[t * blocks + k / BLOCK];
    }
}
