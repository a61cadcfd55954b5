package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.backend.gguf.file.GgmlType;

/**
 * {@code quantize_row_q6_K_ref}: per 16-value sub-block a signed scale fitted by {@code make_qx_quants}
 * (values in −32..31, weighted by x², 19 candidate scales), the scales quantized to int8 against the
 * largest, then the values re-quantized with the rounded scales. Llama.cpp's Q4_K_M mix stores the
 * output projection and half of attn_v / ffn_down in it.
 */
public final class Q6_KQuantizer implements Quantizer {
    private static final float GROUP_MAX_EPS = 1e-15f;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        int[] l = new int[256];
        float[] scales = new float[16];
        for (int b = 0; b < n / 256; b++) {
            int x = srcOff + 256 * b, y = dstOff + 210 * b;
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = makeQxQuants(16, 32, src, x + 16 * ib, l, 16 * ib);
                scales[ib] = scale;
                if (Math.abs(scale) > maxAbsScale) {
                    maxAbsScale = Math.abs(scale);
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                java.util.Arrays.fill(dst, y, y + 210, (byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            Bits.putF16(dst, y + 208, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) dst[y + 192 + ib] = (byte) Math.min(127, Bits.nearestInt(iscale * scales[ib]));
            float d0 = Bits.f16(dst, y + 208);
            for (int j = 0; j < 16; j++) {
                float d = d0 * dst[y + 192 + j];
                if (d == 0) continue;
                for (int i = 0; i < 16; i++) {
                    int q = Bits.nearestInt(src[x + 16 * j + i] / d);
                    l[16 * j + i] = Math.max(-32, Math.min(31, q)) + 32;
                }
            }
            for (int h = 0; h < 2; h++) {
                int ql = y + 64 * h, qh = y + 128 + 32 * h, j = 128 * h;
                for (int i = 0; i < 32; i++) {
                    int q1 = l[j + i], q2 = l[j + i + 32], q3 = l[j + i + 64], q4 = l[j + i + 96];
                    dst[ql + i] = (byte) ((q1 & 0xF) | ((q3 & 0xF) << 4));
                    dst[ql + i + 32] = (byte) ((q2 & 0xF) | ((q4 & 0xF) << 4));
                    dst[qh + i] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
        }
    }

    /** {@code make_qx_quants} with rmse_type 1 and no importance weights (weight = x²); L = l + nmax. */
    private static float makeQxQuants(int n, int nmax, float[] x, int xOff, int[] out, int outOff) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) out[outOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(Bits.nearestInt(iscale * x[xOff + i]), nmax);
            out[outOff + i] = l + nmax;
            float w = x[xOff + i] * x[xOff + i];
            sumlx += w * x[xOff + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(Bits.nearestInt(iscale * x[xOff + i]), nmax);
                float w = x[xOff + i] * x[xOff + i];
                sumlx += w * x[xOff + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) out[outOff + i] = nmax + clamp(Bits.nearestInt(iscale * x[xOff + i]), nmax);
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static int clamp(int l, int nmax) {
        return Math.max(-nmax, Math.min(nmax - 1, l));
    }
}
