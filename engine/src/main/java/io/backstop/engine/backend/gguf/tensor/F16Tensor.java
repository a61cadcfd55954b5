package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** IEEE half-precision weights. */
public final class F16Tensor extends WeightTensor {
    F16Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int j = 0;
        for (; j + 2 * L <= cols; j += 2 * L) {
            a0 = Widen.f16(data, base + 2L * j).fma(FloatVector.fromArray(F, x, xOff + j), a0);
            a1 = Widen.f16(data, base + 2L * (j + L)).fma(FloatVector.fromArray(F, x, xOff + j + L), a1);
        }
        for (; j + L <= cols; j += L) a0 = Widen.f16(data, base + 2L * j).fma(FloatVector.fromArray(F, x, xOff + j), a0);
        float s = Lanes.sum(a0.add(a1));
        for (; j < cols; j++) s += f16(base + 2L * j) * x[xOff + j];
        return s;
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        long base = row * rowBytes;
        int j = 0;
        for (; j + L <= cols; j += L) Widen.f16(data, base + 2L * j).intoArray(out, outOff + j);
        for (; j < cols; j++) out[outOff + j] = f16(base + 2L * j);
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long base = row * rowBytes;
        for (int j = 0; j < cols; j++) out[outOff + j] = f16(base + 2L * j);
    }
}
