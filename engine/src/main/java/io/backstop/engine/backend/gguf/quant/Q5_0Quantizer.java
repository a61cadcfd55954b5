package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/**
 * {@code quantize_row_q5_0_ref}: d = (the value of largest magnitude) / −16; q = min(31, trunc(x / d + 16.5)),
 * low nibbles as in Q4_0 and the fifth bits in a 32-bit {@code qh}. llama.cpp falls back to it for Q4_K
 * tensors whose rows are not a multiple of 256.
 */
public final class Q5_0Quantizer implements Quantizer {
    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int b = 0; b < n / 32; b++) {
            int x = srcOff + 32 * b, y = dstOff + 22 * b;
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bits.putF16(dst, y, d);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(31, (int) (src[x + j] * id + 16.5f));
                int q1 = Math.min(31, (int) (src[x + 16 + j] * id + 16.5f));
                dst[y + 6 + j] = (byte) ((q0 & 0xF) | ((q1 & 0xF) << 4));
                qh |= ((q0 & 0x10) >> 4) << j;
                qh |= ((q1 & 0x10) >> 4) << (j + 16);
            }
            for (int k = 0; k < 4; k++) dst[y + 2 + k] = (byte) (qh >>> (8 * k));
        }
    }
}
