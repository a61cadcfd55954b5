package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/**
 * {@code quantize_row_q4_K_ref}: per 32-value sub-block a scale and a min fitted by
 * {@code make_qkx2_quants} (weighted least squares over a grid of 21 candidate scales), both then
 * quantized to 6 bits against the super-block's largest ({@code d}, {@code dmin} in F16), and the values
 * re-quantized with the rounded scales. The float arithmetic follows the reference statement by
 * statement so the bytes come out the same.
 */
public final class Q4_KQuantizer implements Quantizer {
    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        int[] l = new int[256];
        int[] laux = new int[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        float[] theMin = new float[1];
        for (int b = 0; b < n / 256; b++) {
            int x = srcOff + 256 * b, y = dstOff + 144 * b;
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                float sumX2 = 0;
                for (int i = 0; i < 32; i++) sumX2 += src[x + 32 * j + i] * src[x + 32 * j + i];
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int i = 0; i < 32; i++) weights[i] = avX + Math.abs(src[x + 32 * j + i]);
                scales[j] = KQuants.makeQkx2Quants(32, 15, src, x + 32 * j, weights, l, 32 * j, theMin, laux, -1f, 0.1f, 20);
                mins[j] = theMin[0];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            byte[] sc = new byte[12];
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, Bits.nearestInt(invScale * scales[j]) & 0xFF);
                int lm = Math.min(63, Bits.nearestInt(invMin * mins[j]) & 0xFF);
                KQuants.packScaleMin(sc, j, ls, lm);
            }
            System.arraycopy(sc, 0, dst, y + 4, 12);
            Bits.putF16(dst, y, maxScale / 63f);
            Bits.putF16(dst, y + 2, maxMin / 63f);
            float d = Bits.f16(dst, y), dmin = Bits.f16(dst, y + 2);
            for (int j = 0; j < 8; j++) {
                float dj = d * KQuants.scale(sc, j);
                if (dj == 0) continue;
                float dm = dmin * KQuants.min(sc, j);
                for (int i = 0; i < 32; i++) {
                    int q = Bits.nearestInt((src[x + 32 * j + i] + dm) / dj);
                    l[32 * j + i] = Math.max(0, Math.min(15, q));
                }
            }
            for (int c = 0; c < 4; c++) {
                for (int i = 0; i < 32; i++) dst[y + 16 + 32 * c + i] = (byte) (l[64 * c + i] | (l[64 * c + 32 + i] << 4));
            }
        }
    }
}
