package io.backstop.engine.backend.gguf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.tensor.Lanes;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The grouped-query attention kernels give every head the bits of the one-head kernels they replace. */
class GroupedAttentionKernelTest {

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-2, 2);
        return a;
    }

    @Test
    void scoresOfAGroupAreTheDotsOfEachHeadAlone() {
        int heads = 8, hd = 64, kvDim = 256, m = 37, span = 45, off = 5;
        float[] q = random(heads * hd + 3, 1), keys = random(m * kvDim, 2);
        for (int n : new int[] {hd, 40}) { // a width of whole vectors and one with a scalar tail
            float[] s = new float[heads * span];
            VectorMath.scores(q, 3, heads, keys, 64, kvDim, m, n, 0.125f, s, off, span);
            for (int g = 0; g < heads; g++) {
                for (int i = 0; i < m; i++) {
                    float alone = VectorMath.dot(q, 3 + g * n, keys, 64 + i * kvDim, n) * 0.125f;
                    assertThat(s[off + g * span + i]).as("n=%d head %d key %d", n, g, i).isEqualTo(alone);
                }
                for (int i = m; i < span - off; i++) assertThat(s[off + g * span + i]).as("n=%d head %d past the keys, %d", n, g, i).isZero();
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
