package io.backstop.engine.backend.gguf.tensor;

import static io.backstop.engine.backend.gguf.tensor.Lanes.L;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0: blocks of 32 values, {@code d} (F16) then 16 bytes; value j &lt; 16 is the low nibble of byte j,
 * value 16 + j its high nibble; value = d·(q − 8).
 *
 * <p>Decoding (batches below {@link #TILE_FROM}) runs on a copy repacked at load time with rows in vector lanes
 * ({@link Q4_0Lanes}, the same for both {@link DecodeLayout}s): each token's activations rounded to 8 bits, 4-bit
 * weights times them in 16-bit lanes, and L rows' results come out as one vector. The prefill tile decodes its K-blocks from that copy too, L rows at a time ({@link #decodeColumns}), so
 * a prompt does not page the file's blocks (dropped after repacking) back in. {@link #decodeRow} and
 * {@link #dequantizeRow} read the file's own blocks: the fallback for row ranges that do not start on a group, and
 * the tests' reference.
 */
public final class Q4_0Tensor extends WeightTensor {
    static final int BLOCK = 32;
    static final int BYTES = 18;
    private static final int QUANTS = 16;

    private final Q4_0Lanes lanes;

    Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        super(name, data, rows, cols);
        lanes = Q4_0Lanes.repack(data, rows, cols / BLOCK);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    /** {@link Q4_0Lanes#dot}: scalar, with the decode kernels' operations in their order, so their bits. Not on a hot path. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        if (!Lanes.VECTOR) return scalarDot(row, x, xOff);
        return lanes.dot(row, x, xOff);
    }

    /** {@link Q4_0Lanes#matmul}: every token gets the bits of {@link #dot} whatever the batch (1 to 31) and the rows. */
    @Override
    void fusedRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        if (!Lanes.VECTOR) {
            super.fusedRows(x, n, out, outOff, outStride, from, to, add);
            return;
        }
        int need = lanes.scratchFloats(n);
        lanes.matmul(x, n, cols, out, outOff, outStride, from, to, add, scratch.length >= need ? scratch : new float[need]);
    }

    @Override
    String fusedPath(int n, int scratchFloats) {
        if (!Lanes.VECTOR) return "fused, per token";
        return L + " rows in lanes (quads, 8-bit activations, token by token) × " + n + (n == 1 ? " token" : " tokens");
    }

    /** A prompt's tokens below the tile: float kernels over the same copy ({@link Q4_0Lanes#matmulFloats}). */
    @Override
    void promptRows(float[] x, int n, float[] out, int outOff, int outStride, int from, int to, boolean add, float[] scratch) {
        int need = lanes.scratchFloats(n);
        lanes.matmulFloats(x, n, cols, out, outOff, outStride, from, to, add, scratch.length >= need ? scratch : new float[need]);
    }

    @Override
    String promptPath(int n, int scratchFloats) {
        return L + " rows in lanes (quads, floats, 4 tokens at a time) × " + n + (n == 1 ? " token" : " tokens");
    }

    @Override
    public boolean roundsActivations() {
        return Lanes.VECTOR;
    }

    /** Every decode batch (below {@link #TILE_FROM}) stays on {@link #fusedRows}: it beats the small-batch tile at every size. */
    @Override
    int fusedBelow() {
        return Lanes.VECTOR ? PAIRED_FUSED_BELOW : FUSED_BELOW;
    }

    /**
     * Every decode step stays on the 8-bit kernels, however many sequences it holds, so a generated token gets the same
     * bits in any step (the tile would give it float ones); their scratch, about 2·n·cols floats, fits the forward
     * pass's (the tile's, about 544·cols) for any step of up to ~270 sequences. (The old float kernels cost 0.6–0.9× the
     * tile per token at 16–31 tokens; the 8-bit ones, token by token, ~1.1× those at 8.)
     */
    @Override
    int decodeBelow() {
        return Lanes.VECTOR ? Integer.MAX_VALUE : FUSED_BELOW;
    }

    @Override
    public void decodeRow(int row, float[] out, int outOff) {
        if (!Lanes.VECTOR) {
            dequantizeRow(row, out, outOff);
            return;
        }
        decode(row, 0, cols / BLOCK, out, outOff);
    }

    /** Blocks {@code [b0, b1)} of row {@code row} from the file's blocks, vectorized, block b to {@code out[outOff + 32·b ..]}. */
    private void decode(int row, int b0, int b1, float[] out, int outOff) {
        MemorySegment m = data;
        long p = row * rowBytes + (long) b0 * BYTES;
        for (int b = b0; b < b1; b++, p += BYTES) {
            int o = outOff + b * BLOCK;
            float d = f16(p);
            for (int k = 0; k < QUANTS; k += L) {
                IntVector w = Widen.u8(m, p + 2 + k);
                Widen.toFloat(w.and(15).sub(8)).mul(d).intoArray(out, o + k);
                Widen.toFloat(w.lanewise(VectorOperators.LSHR, 4).sub(8)).mul(d).intoArray(out, o + 16 + k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int outOff) {
        long p = row * rowBytes;
        for (int b = 0, blocks = cols / BLOCK; b < blocks; b++, p += BYTES) {
            float d = f16(p);
            int o = outOff + b * BLOCK;
            for (int j = 0; j < 16; j++) {
                int q = u8(p + 2 + j);
                out[o + j] = ((q & 0xF) - 8) * d;
                out[o + j + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    /** {@link Q4_0Lanes#decodeColumns}: the values of {@link #decodeRow}, from the lanes copy. */
    @Override
    boolean decodeColumns(int row, int k0, int k1, float[] out, int off) {
        if (!Lanes.VECTOR) return false;
        lanes.decodeColumns(row / L, k0 / BLOCK, k1 / BLOCK, out, off);
        return true;
    }

    /** {@link #decodeRow}'s operations on blocks {@code k0/32 .. k1/32} of a row, to {@code out[off ..]} (the sliced tile path of {@link WeightTensor#matmul}). */
    @Override
    boolean decodeSlice(int row, int k0, int k1, float[] out, int off) {
        if (!Lanes.VECTOR) return false;
        decode(row, k0 / BLOCK, k1 / BLOCK, out, off - k0);
        return true;
    }
}
