package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.B;
import static io.backstop.engine.backend.gguf.tensor.Lanes.F;
import static io.backstop.engine.backend.gguf.tensor.Lanes.I;
import static io.backstop.engine.backend.gguf.tensor.Lanes.LE;
import static io.backstop.engine.backend.gguf.tensor.Lanes.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Loads of L packed values widened to one vector of L lanes. Quantized bytes become ints first and are
 * unpacked there: issue 14 measured this faster on C2 than unpacking in the byte domain.
 */
final class Widen {
    /** 2^112: rescales an F16 exponent moved into an F32's place (see {@link #f16}). */
    static final float F16_RESCALE = Float.intBitsToFloat(0x77800000);
    /** 0, 1, …, L-1: per-lane shift counts for bit-packed high bits. */
    static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    private Widen() {}

    /** L unsigned bytes as ints. */
    static IntVector u8(MemorySegment data, long offset) {
        return (IntVector) ByteVector.fromMemorySegment(B, data, offset, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** L signed bytes as floats. */
    static FloatVector s8(MemorySegment data, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, data, offset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** The low nibble of each lane's byte, as a float. */
    static FloatVector lo(IntVector w) {
        return toFloat(w.and(15));
    }

    /** The high nibble of each lane's byte (lanes 0..255), as a float. */
    static FloatVector hi(IntVector w) {
        return toFloat(w.lanewise(VectorOperators.LSHR, 4));
    }

    /**
     * L IEEE half floats as floats without a conversion instruction (the Vector API has none): the
     * sign-extended short shifted left by 13 puts sign, exponent and mantissa in an F32's places; the
     * mask keeps them, and × 2^112 corrects the exponent bias (15 → 127). Exact for zeros, subnormals
     * and normals; infinities and NaNs (absent from weights) come out as large finite values.
     */
    static FloatVector f16(MemorySegment data, long offset) {
        IntVector s = (IntVector) ShortVector.fromMemorySegment(S, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return s.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(F16_RESCALE);
    }

    /**
     * {@link #f16} without the final × 2^112: the half floats' values times 2^−112 (for a kernel that scales the
     * activations by 2^112 instead). Added for F16Tensor; {@link #f16} is unchanged.
     */
    static FloatVector f16Bits(MemorySegment data, long offset) {
        IntVector s = (IntVector) ShortVector.fromMemorySegment(S, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return s.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000).reinterpretAsFloats();
    }

    /** L bfloat16 values as floats: the upper half of an F32. */
    static FloatVector bf16(MemorySegment data, long offset) {
        IntVector s = (IntVector) ShortVector.fromMemorySegment(S, data, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return s.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
