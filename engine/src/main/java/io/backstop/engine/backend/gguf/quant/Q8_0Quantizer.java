package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/** {@code quantize_row_q8_0_ref}: d = max|x| / 127, q = roundf(x / d). */
public final class Q8_0Quantizer implements Quantizer {
    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int b = 0; b < n / 32; b++) {
            int x = srcOff + 32 * b, y = dstOff + 34 * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(src[x + j]));
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Bits.putF16(dst, y, d);
            for (int j = 0; j < 32; j++) dst[y + 2 + j] = (byte) Bits.roundf(src[x + j] * id);
        }
    }
}
