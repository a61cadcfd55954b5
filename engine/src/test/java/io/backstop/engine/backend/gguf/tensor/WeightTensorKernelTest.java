package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each type's vector kernel against its scalar reference (float64 over {@link WeightTensor#dequantizeRow}),
 * on random blocks, at odd sizes: one block, rows not a multiple of the vector width, several blocks,
 * and matrix products split between threads.
 */
class WeightTensorKernelTest {

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType t : WeightTensors.SUPPORTED) {
            int b = t.blockSize();
            int[] widths = b == 1 ? new int[] {1, 7, 15, 17, 33, 172, 1027} : b == 32 ? new int[] {32, 96, 224, 1056} : new int[] {256, 768, 2048};
            for (int w : widths) out.add(Arguments.of(t, w));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} × {1}")
    @MethodSource("shapes")
    void vectorDotMatchesTheScalarReference(GgmlType type, int cols) {
        int rows = 5;
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 31L * cols + type.id());
        float[] x = RandomBlocks.activations(cols + 3, cols);
        for (int r = 0; r < rows; r++) {
            for (int off : new int[] {0, 3}) { // activations at an offset, as in a batch
                double exact = w.referenceDot(r, x, off);
                double magnitude = absDot(w, r, x, off), rounding = 0;
                if (w.roundsActivations()) { // dot is the decode kernels' reference: 8-bit activations
                    float[] row = new float[cols];
                    w.dequantizeRow(r, row, 0);
                    rounding = KQuantDecodeTest.quantization(row, x, off, cols);
                }
                assertThat((double) w.dot(r, x, off)).as("%s row %d offset %d", type, r, off).isCloseTo(exact, org.assertj.core.data.Offset.offset(rounding + 1e-5 * magnitude + 1e-6));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void aMatrixProductSplitBetweenThreadsEqualsItDoneByOne(GgmlType type) {
        int rows = 37, n = 3, cols = type.blockSize() == 1 ? 100 : 2 * type.blockSize();
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 7);
        float[] x = RandomBlocks.activations(n * cols, 11);
        float[] one = new float[n * rows];
        w.matmul(x, n, one, 0, rows, 0, rows, false, new float[cols]);
        for (int threads : new int[] {2, 3}) {
            float[] split = new float[n * rows];
            try (ComputePool pool = ComputePool.shared(threads)) {
                pool.lock().lock();
                try {
                    float[][] scratch = new float[threads][cols];
                    pool.run((chunk, chunks, worker) -> w.matmul(x, n, split, 0, rows, ComputePool.start(rows, chunk, chunks, 4),
                            ComputePool.end(rows, chunk, chunks, 4), false, scratch[worker]), 5);
                } finally {
                    pool.lock().unlock();
                }
            }
            assertThat(split).as("%d threads", threads).containsExactly(one);
        }
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double tolerance = 1e-5 * absDot(w, r, x, t * cols) + 1e-6;
                assertThat((double) one[t * rows + r]).isCloseTo(w.referenceDot(r, x, t * cols), org.assertj.core.data.Offset.offset(tolerance));
            }
        }
    }

    @ParameterizedTest(name = "{0} × {1}")
    @MethodSource("shapes")
    void vectorDecodingEqualsTheScalarReferenceBitForBit(GgmlType type, int cols) {
        WeightTensor w = RandomBlocks.tensor(type, 3, cols, 17L * cols + type.id());
        float[] fast = new float[cols + 5], reference = new float[cols + 5];
        for (int r = 0; r < 3; r++) {
            w.decodeRow(r, fast, 5);
            w.dequantizeRow(r, reference, 5);
            assertThat(fast).as("%s row %d", type, r).containsExactly(reference);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void aBatchOfTokensGetsTheProductsOfOneTokenAtATime(GgmlType type) {
        int rows = 9, n = 4, cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize();
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 3);
        float[] x = RandomBlocks.activations(n * cols, 4);
        float[] batched = new float[n * rows];
        w.matmul(x, n, w.roundsActivations(), batched, 0, rows, 0, rows, false, new float[cols]); // dot: the decode kernels' bits
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double tolerance = 1e-5 * absDot(w, r, x, t * cols) + 1e-6;
                assertThat((double) batched[t * rows + r]).isCloseTo(w.dot(r, x, t * cols), org.assertj.core.data.Offset.offset(tolerance));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void theRegisterTileGivesEveryRowAndTokenTheBitsOfOneFusedMultiplyAddChain(GgmlType type) {
        int cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize(); // remainders of rows, tokens and lanes
        for (int rows : new int[] {11, 43}) { // from row 1: one group and a part; two pairs of groups (put as squares), one, a part
            WeightTensor w = RandomBlocks.tensor(type, rows, cols, 5);
            for (int n : new int[] {w.tileFrom(), w.tileFrom() + 3, OuterProduct.TOKENS + 5}) { // one token block, part of one, one and a part
                float[] x = RandomBlocks.activations(n * cols, 6 + n);
                for (boolean add : new boolean[] {false, true}) {
                    float[] rowByRow = fromRowOne(w, x, n, add, cols), tiled = fromRowOne(w, x, n, add, WeightTensor.scratchFloats(cols));
                    assertThat(tiled).as("%s rows=%d n=%d add=%s", type, rows, n, add).containsExactly(rowByRow);
                    assertThat(tiled).as("%s rows=%d n=%d add=%s", type, rows, n, add).containsExactly(chains(w, x, n, 1, add ? 0.25f : Float.NaN, 0.25f));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void smallBatchesBelowTheTileTakeTheFourByFourTileWithTheBitsOfOneRowAtATime(GgmlType type) {
        int rows = 11, cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize();
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 5);
        org.junit.jupiter.api.Assumptions.assumeTrue(w.fusedBelow() < WeightTensor.TILE_FROM, "this type's fused kernel takes every small batch");
        int n = w.fusedBelow() + 3; // a 4×4 tile and tokens left over
        float[] x = RandomBlocks.activations(n * cols, 6);
        for (boolean add : new boolean[] {false, true}) {
            float[] rowByRow = fromRowOne(w, x, n, add, cols), tiled = fromRowOne(w, x, n, add, WeightTensor.scratchFloats(cols));
            assertThat(tiled).as("%s add=%s", type, add).containsExactly(rowByRow);
            float[] row = new float[cols];
            for (int r = 1; r < rows; r++) {
                w.decodeRow(r, row, 0);
                for (int t = 0; t < n; t++) {
                    float s = Dot.dot(row, 0, x, t * cols, cols);
                    assertThat(tiled[t * rows + r]).as("%s row %d token %d", type, r, t).isEqualTo(add ? 0.25f + s : s);
                }
            }
        }
    }

    /** Rows 1.. of {@code w} times n tokens into an output of 0.25s (row 0 left alone), with {@code scratch} floats of scratch. */
    private static float[] fromRowOne(WeightTensor w, float[] x, int n, boolean add, int scratch) {
        float[] out = new float[n * w.rows()];
        java.util.Arrays.fill(out, 0.25f);
        w.matmul(x, n, out, 0, w.rows(), 1, w.rows(), add, new float[scratch]);
        return out;
    }

    /**
     * What the tile path gives: {@code out[t·rows + r]} = base + one fused multiply-add chain over row r (rows from
     * {@code from}; {@code untouched} before it); no base when it is NaN.
     */
    private static float[] chains(WeightTensor w, float[] x, int n, int from, float base, float untouched) {
        int rows = w.rows(), cols = w.cols();
        float[] out = new float[n * rows], row = new float[cols];
        java.util.Arrays.fill(out, untouched);
        for (int r = from; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int t = 0; t < n; t++) {
                float s = 0;
                for (int k = 0; k < cols; k++) s = Math.fma(row[k], x[t * cols + k], s);
                out[t * rows + r] = Float.isNaN(base) ? s : base + s;
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void rowPanelsTokenSpansAndKBlocksGiveTheBitsOfOneRowAtATime(GgmlType type) {
        int cols = OuterProduct.KC + (type.blockSize() == 1 ? 37 : type.blockSize()); // a full K-block and a part of one
        int rows = TilePath.PANEL_ROWS + OuterProduct.ROWS + 3, n = 2 * OuterProduct.TOKENS + 7; // panels of every height, three token blocks
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 11);
        float[] x = RandomBlocks.activations(n * cols, 12);
        float[] rowByRow = new float[n * rows];
        w.matmul(x, n, rowByRow, 0, rows, 1, rows, true, new float[cols]);
        assertThat(rowByRow).as("%s one row at a time", type).containsExactly(chains(w, x, n, 1, 0, 0));
        int least = TilePath.tileScratch(OuterProduct.ROWS, cols); // panels of one row group, spans of one token block
        int fullPanels = TilePath.tileScratch(TilePath.PANEL_ROWS, cols); // full panels, one token block per span
        for (int scratch : new int[] {least, fullPanels, WeightTensor.scratchFloats(cols)}) {
            float[] tiled = new float[n * rows];
            w.matmul(x, n, tiled, 0, rows, 1, rows, true, new float[scratch]);
            assertThat(tiled).as("%s scratch %d", type, scratch).containsExactly(rowByRow);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void aTokenGetsTheSameBitsInEveryBatchFromFourTokensOn(GgmlType type) {
        int rows = 9, cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize();
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 8);
        int most = w.fusedBelow() + 5;
        float[] x = RandomBlocks.activations(most * cols, 9);
        float[] nine = new float[most * rows];
        w.matmul(x, most, nine, 0, rows, 0, rows, false, new float[WeightTensor.scratchFloats(cols)]);
        for (int n = w.fusedBelow(); n < most; n++) { // token t sits in a different lane of a token block in each batch
            for (float[] scratch : new float[][] {new float[cols], new float[WeightTensor.scratchFloats(cols)]}) {
                float[] batch = new float[n * rows];
                w.matmul(x, n, batch, 0, rows, 0, rows, false, scratch);
                assertThat(batch).as("%s batch of %d, scratch %d", type, n, scratch.length).containsExactly(java.util.Arrays.copyOf(nine, n * rows));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void oneTokenGetsTheBitsOfDotWhateverRowsAChunkStartsAndEndsAt(GgmlType type) {
        int rows = 13, cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize(); // kernels taking rows in groups of four
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 8);
        float[] x = RandomBlocks.activations(cols, 9);
        for (int[] range : new int[][] {{0, rows}, {1, 12}, {2, 7}, {5, 6}}) {
            float[] out = new float[rows];
            w.matmul(x, 1, true, out, 0, rows, range[0], range[1], false, new float[cols]); // a decode step's token
            for (int r = range[0]; r < range[1]; r++) assertThat(out[r]).as("%s row %d of %s", type, r, java.util.Arrays.toString(range)).isEqualTo(w.dot(r, x, 0));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void aSmallBatchGivesEachTokenTheBitsItGetsAlone(GgmlType type) {
        int rows = 9, cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize();
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 5);
        for (int n = 2; n < w.fusedBelow(); n++) {
            float[] x = RandomBlocks.activations(n * cols, 6 + n);
            for (boolean add : new boolean[] {false, true}) {
                float[] batched = new float[n * rows];
                java.util.Arrays.fill(batched, 0.5f);
                w.matmul(x, n, batched, 0, rows, 0, rows, add, new float[WeightTensor.scratchFloats(cols)]);
                for (int t = 0; t < n; t++) {
                    float[] alone = new float[rows];
                    java.util.Arrays.fill(alone, 0.5f);
                    float[] token = java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                    w.matmul(token, 1, alone, 0, rows, 0, rows, add, new float[cols]);
                    assertThat(java.util.Arrays.copyOfRange(batched, t * rows, (t + 1) * rows))
                            .as("%s n=%d token %d add=%s", type, n, t, add).containsExactly(alone);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void theFusedKernelGivesEveryTokenAndRowTheBitsOfDot(GgmlType type) {
        int rows = 11, cols = type.blockSize() == 1 ? 75 : 3 * type.blockSize(); // groups of rows with a remainder
        WeightTensor w = RandomBlocks.tensor(type, rows, cols, 8);
        for (int n = 1; n <= 9; n++) { // the multi-token kernels and their remainders
            float[] x = RandomBlocks.activations(n * cols, 20 + n);
            for (int from : new int[] {0, 1, 6}) {
                for (float[] scratch : new float[][] {new float[1], new float[WeightTensor.scratchFloats(cols)]}) { // without and with room for multi-token sums
                    float[] fused = new float[n * rows];
                    java.util.Arrays.fill(fused, 0.5f);
                    w.fusedRows(x, n, fused, 0, rows, from, rows, true, scratch);
                    for (int t = 0; t < n; t++) {
                        for (int r = 0; r < rows; r++) {
                            float expected = r < from ? 0.5f : 0.5f + w.dot(r, x, t * cols);
                            assertThat(fused[t * rows + r]).as("%s n=%d from=%d scratch %d token %d row %d", type, n, from, scratch.length, t, r)
                                    .isEqualTo(expected);
                        }
                    }
                }
            }
        }
    }

    static Stream<GgmlType> types() {
        return WeightTensors.SUPPORTED.stream();
    }

    @Test
    void dequantizationFollowsTheBlockLayout() {
        // Q4_0 block: d = 0.5, bytes 0x10*j + (15 - j): value j = (15 - j − 8)·d, value 16 + j = (j − 8)·d
        byte[] b = new byte[18];
        short h = Float.floatToFloat16(0.5f);
        b[0] = (byte) h;
        b[1] = (byte) (h >> 8);
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) ((j << 4) | (15 - j));
        float[] out = new float[32];
        RandomBlocks.of(GgmlType.Q4_0, java.lang.foreign.MemorySegment.ofArray(b), 1, 32).dequantizeRow(0, out, 0);
        for (int j = 0; j < 16; j++) {
            assertThat(out[j]).isEqualTo((15 - j - 8) * 0.5f);
            assertThat(out[16 + j]).isEqualTo((j - 8) * 0.5f);
        }
    }

    private static double absDot(WeightTensor w, int row, float[] x, int off) {
        float[] v = new float[w.cols()];
        w.dequantizeRow(row, v, 0);
        double s = 0;
        for (int j = 0; j < v.length; j++) s += Math.abs((double) v[j] * x[off + j]);
        return s;
    }
}
