package io.backstop.engine.backend.gguf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.tensor.Lanes;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The grouped-query attention kernels give every head the bits of one head computed alone. */
class GroupedAttentionKernelTest {

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-2, 2);
        return a;
    }

    @Test
    void scoresOfAGroupAreEachHeadsFusedDotOverKeysInLanes() {
        int block = 16, hd = 64, m = 13, span = 45, off = 5;
        for (int heads : new int[] {8, 7, 2}) { // groups of four and the heads left over
            for (int n : new int[] {hd, 40}) {
                int kvDim = 3 * n, kOff = n * block; // the second key head of three
                float[] q = random(heads * n + 3, 1), keys = random(block * kvDim, 2);
                float[] s = new float[heads * span];
                VectorMath.scores(q, 3, heads, keys, kOff, block, m, n, 0.125f, s, off, span);
                for (int g = 0; g < heads; g++) {
                    for (int i = 0; i < m; i++) {
                        float alone = 0;
                        for (int d = 0; d < n; d++) alone = Math.fma(q[3 + g * n + d], keys[kOff + d * block + i], alone);
                        assertThat(s[off + g * span + i]).as("heads=%d n=%d head %d key %d", heads, n, g, i).isEqualTo(alone * 0.125f);
                    }
                    for (int i = m; i < span - off; i++) assertThat(s[off + g * span + i]).as("heads=%d n=%d head %d past the keys, %d", heads, n, g, i).isZero();
                }
            }
        }
    }

    @Test
    void weightedValuesOfFourHeadsAreAxpy4OfEachHeadAlone() {
        if (!Lanes.VECTOR) return;
        int w = 4 * Lanes.L, vDim = 3 * w, m = 29, span = 33, hdv = 2 * w;
        float[] a = random(4 * span, 3), x = random(m * vDim + w, 4), y0 = random(4 * hdv, 5);
        float[] grouped = y0.clone(), alone = y0.clone();
        VectorMath.axpy4x4(a, 2, span, x, w, vDim, m, grouped, w / 2, hdv);
        for (int g = 0; g < 4; g++) VectorMath.axpy4(a, 2 + g * span, x, w, vDim, m, alone, w / 2 + g * hdv);
        assertThat(grouped).containsExactly(alone);
    }
}
