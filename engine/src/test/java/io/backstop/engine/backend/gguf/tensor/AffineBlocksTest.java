package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Q4_1 and Q5_1 (value = d·q + m): no shipped file uses them, so the test quantizes rows itself as
 * llama.cpp's reference quantizers do (d = (max − min) / (2^bits − 1), m = min) and checks both the
 * round trip and the kernel.
 */
class AffineBlocksTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q5_1"})
    void quantizedRowsRoundTripAndTheKernelMatchesTheReference(GgmlType type) {
        int rows = 4, cols = 32 * 9;
        float[] src = RandomBlocks.activations(rows * cols, 5);
        byte[] bytes = new byte[(int) type.bytesFor(cols) * rows];
        for (int r = 0; r < rows; r++) quantize(type, src, r * cols, cols, bytes, (int) type.bytesFor(cols) * r);
        WeightTensor w = RandomBlocks.of(type, MemorySegment.ofArray(bytes), rows, cols);

        float[] back = new float[cols];
        float[] x = RandomBlocks.activations(cols, 9);
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, back, 0);
            for (int b = 0; b < cols / 32; b++) {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int j = 0; j < 32; j++) {
                    min = Math.min(min, src[r * cols + 32 * b + j]);
                    max = Math.max(max, src[r * cols + 32 * b + j]);
                }
                float step = (max - min) / ((1 << bits(type)) - 1);
                for (int j = 0; j < 32; j++) {
                    int i = 32 * b + j;
                    // half a step of rounding, plus the F16 rounding of d and m
                    assertThat(back[i]).as("row %d value %d", r, i).isCloseTo(src[r * cols + i], offset(step * 0.51f + 2e-3f * (Math.abs(max) + Math.abs(min))));
                }
            }
            assertThat((double) w.dot(r, x, 0)).isCloseTo(w.referenceDot(r, x, 0), offset(1e-4));
        }
    }

    private static int bits(GgmlType t) {
        return t == GgmlType.Q4_1 ? 4 : 5;
    }

    /** {@code quantize_row_q4_1_ref} / {@code quantize_row_q5_1_ref}. */
    private static void quantize(GgmlType type, float[] x, int xOff, int n, byte[] y, int yOff) {
        int bits = bits(type), bytes = type.blockBytes();
        for (int b = 0; b < n / 32; b++) {
            int xo = xOff + 32 * b, yo = yOff + bytes * b;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                min = Math.min(min, x[xo + j]);
                max = Math.max(max, x[xo + j]);
            }
            float d = (max - min) / ((1 << bits) - 1);
            float id = d != 0 ? 1 / d : 0;
            putF16(y, yo, d);
            putF16(y, yo + 2, min);
            int qh = 0;
            int qs = type == GgmlType.Q4_1 ? yo + 4 : yo + 8;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min((1 << bits) - 1, (int) ((x[xo + j] - min) * id + 0.5f));
                int q1 = Math.min((1 << bits) - 1, (int) ((x[xo + 16 + j] - min) * id + 0.5f));
                y[qs + j] = (byte) ((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= ((q0 >> 4) & 1) << j;
                qh |= ((q1 >> 4) & 1) << (j + 16);
            }
            if (type == GgmlType.Q5_1) for (int k = 0; k < 4; k++) y[yo + 4 + k] = (byte) (qh >>> (8 * k));
        }
    }

    private static void putF16(byte[] b, int p, float v) {
        short h = Float.floatToFloat16(v);
        b[p] = (byte) h;
        b[p + 1] = (byte) (h >> 8);
    }
}
