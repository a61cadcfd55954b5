package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/** Q8_0: blocks of 32 values, {@code d} (F16) then 32 signed bytes; value = d·q. */
public final class Q8_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 34;

    Q8_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < cols / BLOCK; b++) { // one induction variable: C2 hoists the bounds checks
            long p = base + (long) b * BYTES;
            int xo = xOff + b * BLOCK;
            FloatVector s = Widen.s8(data, p + 2).mul(FloatVector.fromArray(F, x, xo));
            for (int k = L; k < BLOCK; k += L) s = Widen.s8(data, p + 2 + k).fma(FloatVector.fromArray(F, x, xo + k), s);
            acc = s.fma(FloatVector.broadcast(F, f16(p)), acc);
        }
        return Lanes.sum(acc);
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long base = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++) {
            long p = base + (long) b * BYTES;
            int o = outOff + b * BLOCK;
            float d = f16(p);
            for (int k = 0; k < BLOCK; k += L) Widen.s8(data, p + 2 + k).mul(d).intoArray(out, o + k);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0; b < cols / BLOCK; b++, p += BYTES) {
            float d = f16(p);
            for (int j = 0; j < BLOCK; j++) out[outOff + b * BLOCK + j] = data.get(ValueLayout.JAVA_BYTE, p + 2 + j) * d;
        }
    }
}
