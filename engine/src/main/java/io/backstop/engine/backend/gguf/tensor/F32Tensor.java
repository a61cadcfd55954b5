package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.L;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** Plain float32 weights. */
public final class F32Tensor extends WeightTensor {
    F32Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        long base = row * rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        for (; j + 4 * L <= cols; j += 4 * L) { // four accumulators: FMA latency, not throughput, bounds one chain
            a0 = FloatVector.fromMemorySegment(F, data, base + 4L * j, LE).fma(FloatVector.fromArray(F, x, xOff + j), a0);
            a1 = FloatVector.fromMemorySegment(F, data, base + 4L * (j + L), LE).fma(FloatVector.fromArray(F, x, xOff + j + L), a1);
            a2 = FloatVector.fromMemorySegment(F, data, base + 4L * (j + 2 * L), LE).fma(FloatVector.fromArray(F, x, xOff + j + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(F, data, base + 4L * (j + 3 * L), LE).fma(FloatVector.fromArray(F, x, xOff + j + 3 * L), a3);
        }
        for (; j + L <= cols; j += L) {
            a0 = FloatVector.fromMemorySegment(F, data, base + 4L * j, LE).fma(FloatVector.fromArray(F, x, xOff + j), a0);
        }
        float s = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; j < cols; j++) s += data.get(FLOAT_LE, base + 4L * j) * x[xOff + j];
        return s;
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long base = row * rowBytes;
        for (int j = 0; j < cols; j++) out[outOff + j] = data.get(FLOAT_LE, base + 4L * j);
    }
}
