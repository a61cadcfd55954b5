package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/**
 * {@code quantize_row_q4_0_ref}: d = (the value of largest magnitude) / −8, so that value maps to q = 0
 * exactly; q = min(15, trunc(x / d + 8.5)).
 */
public final class Q4_0Quantizer implements Quantizer {
    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int b = 0; b < n / 32; b++) {
            int x = srcOff + 32 * b, y = dstOff + 18 * b;
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bits.putF16(dst, y, d);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (src[x + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (src[x + 16 + j] * id + 8.5f));
                dst[y + 2 + j] = (byte) (q0 | (q1 << 4));
            }
        }
    }
}
