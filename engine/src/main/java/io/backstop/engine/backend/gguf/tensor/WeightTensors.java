package io.backstop.engine.backend.gguf.tensor;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** Builds the weight tensor of a GGUF tensor's type, refusing types the engine cannot compute. */
public final class WeightTensors {
    /** Every type with a kernel. */
    public static final Set<GgmlType> SUPPORTED = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    private WeightTensors() {}

    /** The tensor as a matrix: {@code dims[0]} values per row, every other dimension folded into rows. */
    public static WeightTensor of(GgufFile file, GgufTensorInfo t) {
        return of(file, t, DecodeLayout.BATCH);
    }

    /** {@link #of(GgufFile, GgufTensorInfo)} with the decode copy laid out for {@code layout} (Q4_0, Q4_K, Q8_0; other types have one layout). */
    public static WeightTensor of(GgufFile file, GgufTensorInfo t, DecodeLayout layout) {
        if (t.rowLength() > Integer.MAX_VALUE / 4 || t.rows() > Integer.MAX_VALUE) {
            throw file.problem("tensor '" + t.name() + "' " + t.shape() + " is too large for the native engine");
        }
        if (!SUPPORTED.contains(t.type())) throw unsupported(file, t);
        return of(t.type(), t.name(), t.data(), (int) t.rows(), (int) t.rowLength(), layout);
    }

    /** A matrix of {@code rows} rows of {@code cols} values of a supported type, in {@code data} (e.g. a kernel benchmark's). */
    public static WeightTensor of(GgmlType type, String name, MemorySegment data, int rows, int cols) {
        return of(type, name, data, rows, cols, DecodeLayout.BATCH);
    }

    /** {@link #of(GgmlType, String, MemorySegment, int, int)} with the decode copy laid out for {@code layout}. */
    public static WeightTensor of(GgmlType type, String name, MemorySegment data, int rows, int cols, DecodeLayout layout) {
        return switch (type) {
            case F32 -> new F32Tensor(name, data, rows, cols);
            case F16 -> new F16Tensor(name, data, rows, cols);
            case BF16 -> new Bf16Tensor(name, data, rows, cols);
            case Q8_0 -> new Q8_0Tensor(name, data, rows, cols, layout);
            case Q4_0 -> new Q4_0Tensor(name, data, rows, cols);
            case Q4_1 -> new Q4_1Tensor(name, data, rows, cols);
            case Q5_0 -> new Q5_0Tensor(name, data, rows, cols);
            case Q5_1 -> new Q5_1Tensor(name, data, rows, cols);
            case Q4_K -> new Q4_KTensor(name, data, rows, cols, layout);
            case Q5_K -> new Q5_KTensor(name, data, rows, cols);
            case Q6_K -> new Q6_KTensor(name, data, rows, cols, layout);
            default -> throw new IllegalArgumentException("no kernel for " + type);
        };
    }

    /** Refuses a tensor whose type has no kernel, naming the tensor, its type and what is supported. */
    public static RuntimeException unsupported(GgufFile file, GgufTensorInfo t) {
        return file.problem("tensor '" + t.name() + "' has type " + t.type() + ", which the native engine cannot compute (supported: "
                + SUPPORTED.stream().map(GgmlType::name).collect(Collectors.joining(", ")) + ")");
    }
}
