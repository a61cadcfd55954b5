package io.backstop.engine.backend.gguf.tensor;

import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses: {@code L} float lanes (16 with AVX-512, 8 with AVX2) and byte,
 * short and int species of the same lane count, so a load of L quantized bytes widens to exactly one
 * float vector. Issue 14 measured the widest float species fastest on C2, so the preferred one is taken.
 * With fewer than 8 lanes (no AVX2, or the Vector API disabled) the kernels fall back to the scalar
 * reference path.
 */
public final class Lanes {
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    public static final int L = F.length();
    /** Whether the vector kernels run at all. */
    public static final boolean VECTOR = L >= 8 && !Boolean.getBoolean("backstop.gguf.scalar");
    public static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    public static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, L * 8)));
    public static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, L * 16)));
    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Shuffles bringing lane i + w to lane i, for {@link #sum}; separate constants so C2 sees each one. */
    private static final VectorShuffle<Float> FOLD_8 = fold(8), FOLD_4 = fold(4), FOLD_2 = fold(2), FOLD_1 = fold(1);

    private Lanes() {}

    private static VectorShuffle<Float> fold(int w) {
        return VectorShuffle.fromOp(F, i -> (i + w) & (L - 1));
    }

    /**
     * The sum of the lanes in a fixed pairwise order. {@code reduceLanes(ADD)} adds in one order when C2
     * compiles it and in another before, so the same request could give different logits early and late
     * in a process; lane-wise adds of permuted vectors are exact in both.
     */
    public static float sum(FloatVector v) {
        if (L > 8) v = v.add(v.rearrange(FOLD_8));
        if (L > 4) v = v.add(v.rearrange(FOLD_4));
        if (L > 2) v = v.add(v.rearrange(FOLD_2));
        if (L > 1) v = v.add(v.rearrange(FOLD_1));
        return v.lane(0);
    }

    /**
     * {@link #sum} of the L floats at {@code a[off ..]}, with the same additions in the same tree, so the same
     * bits: a kernel that stored its accumulators (rather than reducing them in registers) gets what
     * {@link #sum} would have given it.
     */
    public static float sum(float[] a, int off) {
        float s0, s1, s2, s3, s4, s5, s6, s7;
        if (L > 8) {
            s0 = a[off] + a[off + 8];
            s1 = a[off + 1] + a[off + 9];
            s2 = a[off + 2] + a[off + 10];
            s3 = a[off + 3] + a[off + 11];
            s4 = a[off + 4] + a[off + 12];
            s5 = a[off + 5] + a[off + 13];
            s6 = a[off + 6] + a[off + 14];
            s7 = a[off + 7] + a[off + 15];
        } else {
            s0 = a[off];
            s1 = a[off + 1];
            s2 = a[off + 2];
            s3 = a[off + 3];
            s4 = a[off + 4];
            s5 = a[off + 5];
            s6 = a[off + 6];
            s7 = a[off + 7];
        }
        float t0 = s0 + s4, t1 = s1 + s5, t2 = s2 + s6, t3 = s3 + s7;
        return (t0 + t2) + (t1 + t3);
    }

    /** A one-line description for logs and {@code info}, e.g. "512-bit vectors (16 float lanes)". */
    public static String describe() {
        return VECTOR ? F.vectorBitSize() + "-bit vectors (" + L + " float lanes)" : "scalar kernels (no usable vector unit)";
    }
}
