package io.backstop.engine.backend.gguf.quant;

/** Shared pieces of llama.cpp's K-quant reference quantizers. */
final class KQuants {
    private KQuants() {}

    /**
     * {@code make_qkx2_quants}: fits x ≈ scale·L − min (L in 0..nmax) over n values with weights,
     * trying nstep+1 scales around nmax/(max−min) and keeping the least weighted squared error.
     * Writes L into {@code out[outOff ..]} and the (positive) min into {@code theMin[0]}; returns the scale.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, int[] out, int outOff, float[] theMin,
                                int[] laux, float rmin, float rdelta, int nstep) {
        float min = x[xOff], max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; i++) {
            if (x[xOff + i] < min) min = x[xOff + i];
            if (x[xOff + i] > max) max = x[xOff + i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[xOff + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) out[outOff + i] = 0;
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Bits.nearestInt(iscale * (x[xOff + i] - min));
            out[outOff + i] = Math.max(0, Math.min(nmax, l));
            float diff = scale * out[outOff + i] + min - x[xOff + i];
            diff = diff * diff;
            bestError += weights[i] * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXl = 0;
            for (int i = 0; i < n; i++) {
                int l = Bits.nearestInt(iscale * (x[xOff + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xOff + i];
                    diff = diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, out, outOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    /** Stores sub-block j's 6-bit scale and min in the 12-byte layout Q4_K and Q5_K share. */
    static void packScaleMin(byte[] sc, int j, int ls, int lm) {
        if (j < 4) {
            sc[j] = (byte) ls;
            sc[j + 4] = (byte) lm;
        } else {
            sc[j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
            sc[j - 4] |= (byte) ((ls >> 4) << 6);
            sc[j] |= (byte) ((lm >> 4) << 6);
        }
    }

    static int scale(byte[] sc, int j) {
        return j < 4 ? sc[j] & 63 : (sc[j + 4] & 0xF) | (((sc[j - 4] & 0xFF) >> 6) << 4);
    }

    static int min(byte[] sc, int j) {
        return j < 4 ? sc[j + 4] & 63 : ((sc[j + 4] & 0xFF) >> 4) | (((sc[j] & 0xFF) >> 6) << 4);
    }
}
