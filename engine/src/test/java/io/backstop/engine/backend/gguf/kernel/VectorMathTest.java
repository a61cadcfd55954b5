package io.backstop.engine.backend.gguf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.backstop.engine.backend.gguf.tensor.Lanes;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    @Test
    void expIsWithinTwoUlpOfTheCorrectlyRoundedValue() {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[Lanes.L];
        float[] e = new float[Lanes.L];
        for (int round = 0; round < 2_000; round++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-87, 88);
            VectorMath.exp(FloatVector.fromArray(Lanes.F, x, 0)).intoArray(e, 0);
            for (int i = 0; i < x.length; i++) {
                double exact = Math.exp(x[i]);
                assertThat((double) e[i]).as("exp(%s)", x[i]).isCloseTo(exact, offset(2.0 * Math.ulp((float) exact)));
            }
        }
    }

    @Test
    void softmaxIsAProbabilityDistributionOfTheRightShape() {
        float[] v = {1f, 2f, 3f, -1f, 0.5f, 7f, -30f, 2f, 2f, 4f, 1f, 0f, 0f, 3f, 1f, 2f, 5f, 6f, -2f};
        float[] p = v.clone();
        VectorMath.softmax(p, 0, p.length);
        double z = 0;
        for (float x : v) z += Math.exp(x - 7);
        for (int i = 0; i < v.length; i++) assertThat((double) p[i]).isCloseTo(Math.exp(v[i] - 7) / z, offset(1e-6));
    }

    @Test
    void swigluIsSiluOfTheGateTimesUp() {
        SplittableRandom r = new SplittableRandom(4);
        int n = 3 * Lanes.L + 5;
        float[] g = new float[n], u = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) r.nextDouble(-20, 20);
            u[i] = (float) r.nextDouble(-2, 2);
        }
        float[] out = g.clone();
        VectorMath.swiglu(out, u, 0, n);
        for (int i = 0; i < n; i++) assertThat((double) out[i]).isCloseTo(g[i] / (1 + Math.exp(-g[i])) * u[i], offset(1e-5 * (1 + Math.abs(g[i] * u[i]))));
    }

    @Test
    void axpy4GivesTheBitsOfOneAxpyPerRow() {
        SplittableRandom r = new SplittableRandom(5);
        int width = 4 * Lanes.L, stride = width + 7, m = 13;
        float[] a = new float[m + 2], x = new float[3 + m * stride], y = new float[width + 4];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(0, 1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-3, 3);
        for (int i = 0; i < y.length; i++) y[i] = (float) r.nextDouble(-1, 1);
        float[] oneByOne = y.clone(), fused = y.clone();
        for (int i = 0; i < m; i++) VectorMath.axpy(a[2 + i], x, 3 + i * stride, oneByOne, 4, width);
        VectorMath.axpy4(a, 2, x, 3, stride, m, fused, 4);
        assertThat(fused).containsExactly(oneByOne);
    }

    @Test
    void laneSumsAreExactPairwiseSums() {
        float[] v = new float[Lanes.L];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.scalb(1.0, i % 24) + 0.1f * i;
        // lanes folded halves onto halves: the order does not depend on whether C2 compiled it
        float[] w = v.clone();
        for (int width = v.length / 2; width >= 1; width /= 2) for (int i = 0; i < width; i++) w[i] += w[i + width];
        assertThat(Lanes.sum(FloatVector.fromArray(Lanes.F, v, 0))).isEqualTo(w[0]);
    }
}
