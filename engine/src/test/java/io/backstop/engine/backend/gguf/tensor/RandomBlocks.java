package io.backstop.engine.backend.gguf.tensor;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Tensors of any supported type filled with random bytes, so the kernels meet every bit pattern of the
 * quantized fields; the F16 scale fields get sane random values (random bits could be NaN or huge).
 */
final class RandomBlocks {
    private RandomBlocks() {}

    static WeightTensor tensor(GgmlType type, int rows, int cols, long seed) {
        return tensor(type, rows, cols, seed, DecodeLayout.BATCH);
    }

    /** As {@link #tensor(GgmlType, int, int, long)}, the decode copy laid out for {@code layout} (Q4_0, Q4_K, Q8_0). */
    static WeightTensor tensor(GgmlType type, int rows, int cols, long seed, DecodeLayout layout) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[(int) (type.bytesFor(cols) * rows)];
        r.nextBytes(b);
        int blocks = b.length / type.blockBytes();
        for (int i = 0; i < blocks; i++) {
            int p = i * type.blockBytes();
            switch (type) {
                case F32 -> putF32(b, p, (float) r.nextDouble(-1, 1));
                case F16 -> putF16(b, p, (float) r.nextDouble(-1, 1));
                case BF16 -> { int bits = Float.floatToRawIntBits((float) r.nextDouble(-1, 1)); b[p] = (byte) (bits >>> 16); b[p + 1] = (byte) (bits >>> 24); }
                case Q8_0, Q4_0, Q5_0 -> putF16(b, p, (float) r.nextDouble(-0.1, 0.1));
                case Q4_1, Q5_1, Q4_K, Q5_K -> { putF16(b, p, (float) r.nextDouble(-0.1, 0.1)); putF16(b, p + 2, (float) r.nextDouble(-0.1, 0.1)); }
                case Q6_K -> putF16(b, p + 208, (float) r.nextDouble(-0.1, 0.1));
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        return WeightTensors.of(type, "random-" + type, MemorySegment.ofArray(b), rows, cols, layout);
    }

    static WeightTensor of(GgmlType type, MemorySegment data, int rows, int cols) {
        return WeightTensors.of(type, "random-" + type, data, rows, cols);
    }

    static float[] activations(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static void putF16(byte[] b, int p, float v) {
        short h = Float.floatToFloat16(v);
        b[p] = (byte) h;
        b[p + 1] = (byte) (h >> 8);
    }

    private static void putF32(byte[] b, int p, float v) {
        int bits = Float.floatToRawIntBits(v);
        for (int i = 0; i < 4; i++) b[p + i] = (byte) (bits >>> (8 * i));
    }
}
