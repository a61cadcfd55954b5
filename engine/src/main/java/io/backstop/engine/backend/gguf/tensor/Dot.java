package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;

/** The float dot product of the batched path (a decoded row against one token's activations). */
final class Dot {
    private Dot() {}

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float s = 0;
        if (Lanes.VECTOR && n >= L) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (; i + 2 * L <= n; i += 2 * L) {
                a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
                a1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), a1);
            }
            for (; i + L <= n; i += L) a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
            s = Lanes.sum(a0.add(a1));
        }
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }
}
