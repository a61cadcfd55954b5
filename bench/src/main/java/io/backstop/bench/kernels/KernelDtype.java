package io.backstop.bench.kernels;

import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;
import jdk.incubator.vector.FloatVector;

/**
 * A weight dtype and the activation dtype Jlama multiplies it with. The first three are what the engine runs
 * (it loads models with working memory F32 and working quant type I8; Jlama's AbstractModel then uses F32
 * activations for F32 models, BF16 activations for BF16 models and I8 (Q8 blocks) for Q4 models); the other
 * two are Jlama's mixed kernels, benchmarked on request.
 */
public enum KernelDtype {
    /** F32 weights × F32 activations: F32 (and F16, which Jlama loads as F32) models. */
    F32(DType.F32, DType.F32),
    /** BF16 weights × BF16 activations: BF16 models. */
    BF16(DType.BF16, DType.BF16),
    /** Jlama Q4 weights × I8 activations: Q4 models (falls back to F32 activations when the engine would). */
    Q4(DType.Q4, DType.I8),
    /** BF16 weights × F32 activations (Jlama's mixed kernel; not on the engine's path). */
    BF16_F32(DType.BF16, DType.F32),
    /** Q4 weights × F32 activations (what Q4 models use when the hidden sizes do not suit the I8 kernel). */
    Q4_F32(DType.Q4, DType.F32);

    private final DType weights;
    private final DType activations;

    KernelDtype(DType weights, DType activations) {
        this.weights = weights;
        this.activations = activations;
    }

    public DType weights() {
        return weights;
    }

    /**
     * The activation dtype for a matrix with {@code cols} inputs, following AbstractModel: Q4×I8 needs the
     * number of 32-value blocks to be a multiple of the float lanes of the preferred vector, otherwise F32.
     */
    public DType activations(int cols) {
        if (activations == DType.I8) {
            int lanes = FloatVector.SPECIES_PREFERRED.vectorBitSize() / Float.SIZE;
            if ((cols / Q8ByteBufferTensor.BLOCK_SIZE) % lanes != 0) return DType.F32;
        }
        return activations;
    }

    /** Bytes of weights one matmul reads: the values plus, for Q4, one F32 scale per 32-value block. */
    public long weightBytes(int rows, int cols) {
        long n = (long) rows * cols;
        return switch (weights) {
            case F32 -> n * Float.BYTES;
            case BF16 -> n * 2;
            case Q4 -> n / 2 + n / Q4ByteBufferTensor.BLOCK_SIZE * Float.BYTES;
            default -> throw new IllegalStateException(weights.name());
        };
    }

    public static KernelDtype parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown kernel dtype '" + s + "' (known: F32, BF16, Q4, BF16_F32, Q4_F32)");
        }
    }
}
