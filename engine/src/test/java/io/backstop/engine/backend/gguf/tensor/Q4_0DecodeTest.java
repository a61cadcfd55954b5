package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Q4_0's decode kernels ({@link Q4_0Lanes}, one copy for both {@link DecodeLayout}s) over enough rows for every grouping they take
 * (four groups of L rows, two, one, a group a range covers in part, the padded last one) and every batch below the tile,
 * and every decode step of up to 40 tokens: each (row, token) gets exactly the bits of
 * {@link WeightTensor#dot}, which stays within its 8-bit activations' rounding of the float64 reference.
 */
class Q4_0DecodeTest {
    private static final int ROWS = 8 * Lanes.L + 2 * Lanes.L + 5, COLS = 96;

    /** How {@link Q4_0Lanes} lays a token's activations out for its kernels. */
    private interface Spread {
        void apply(float[] x, int from, float[] xp, int to, int blocks);
    }

    private static final int BLOCKS = 3, FROM = 5, TO = 7;

    /** Spreads {@link #BLOCKS} blocks from x[FROM ..] to xp[TO ..], checks nothing else of xp was written; {x, xp}. */
    private static float[][] spread(Spread spread, int seed) {
        float[] x = RandomBlocks.activations(FROM + BLOCKS * 32 + 4, seed);
        float[] xp = new float[TO + BLOCKS * 32 + 6];
        java.util.Arrays.fill(xp, -1f);
        spread.apply(x, FROM, xp, TO, BLOCKS);
        for (int i = 0; i < TO; i++) assertThat(xp[i]).isEqualTo(-1f);
        for (int i = TO + BLOCKS * 32; i < xp.length; i++) assertThat(xp[i]).isEqualTo(-1f);
        return new float[][] {x, xp};
    }

    @Test
    void interleavePutsEachBlocksTwoHalvesSideBySideAndWritesNothingElse() {
        int blocks = BLOCKS, from = FROM, to = TO;
        float[][] spread = spread(Q4_0Lanes::interleave, 9);
        float[] x = spread[0], xp = spread[1];
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < 16; j++) {
                assertThat(xp[to + 32 * b + 2 * j]).as("block %d x_%d", b, j).isEqualTo(x[from + 32 * b + j]);
                assertThat(xp[to + 32 * b + 2 * j + 1]).as("block %d x_%d", b, 16 + j).isEqualTo(x[from + 32 * b + 16 + j]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DecodeLayout.class)
    void everyBatchAndDecodeStepAndRowRangeGivesEachTokenTheBitsOfDot(DecodeLayout layout) {
        WeightTensor w = RandomBlocks.tensor(GgmlType.Q4_0, ROWS, COLS, 41, layout);
        int l = Lanes.L;
        int[][] ranges = {{0, ROWS}, {l, ROWS}, {3, ROWS - 7}, {4 * l, 8 * l}, {2 * l, 3 * l}, {2 * l, 4 * l}, {6 * l, ROWS}, {5, 6}};
        for (int n = 1; n <= 40; n++) {
            boolean decode = true; // every decode step takes the 8-bit kernels, whatever its size
            float[] x = RandomBlocks.activations(n * COLS, 100 + n);
            for (int[] range : ranges) {
                for (boolean add : new boolean[] {false, true}) {
                    for (float[] scratch : new float[][] {new float[1], new float[WeightTensor.scratchFloats(COLS)]}) {
                        float[] out = new float[n * ROWS];
                        java.util.Arrays.fill(out, 0.25f);
                        w.matmul(x, n, decode, out, 0, ROWS, range[0], range[1], add, scratch);
                        for (int t = 0; t < n; t++) {
                            for (int r = 0; r < ROWS; r++) {
                                float d = w.dot(r, x, t * COLS);
                                float expected = r < range[0] || r >= range[1] ? 0.25f : add ? 0.25f + d : d;
                                assertThat(out[t * ROWS + r]).as("decode=%s n=%d range %d..%d add=%s scratch %d token %d row %d", decode, n, range[0], range[1], add, scratch.length, t, r)
                                        .isEqualTo(expected);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * One copy serves both layouts ({@link Q4_0Lanes}): the same bits from either; decode products within the 8-bit
     * activations' rounding of the exact ones and not all within float rounding (so the integer kernels are what
     * runs); a prompt's products (its form of {@link WeightTensor#matmul}, below the tile too) within float rounding;
     * rows decode alike.
     */
    @Test
    void bothLayoutsAreOneCopyWithEightBitDecodeStepsAndPromptsInFloats() {
        WeightTensor batch = RandomBlocks.tensor(GgmlType.Q4_0, ROWS, COLS, 47, DecodeLayout.BATCH);
        WeightTensor one = RandomBlocks.tensor(GgmlType.Q4_0, ROWS, COLS, 47, DecodeLayout.ONE_SEQUENCE);
        assertThat(one.roundsActivations()).isTrue();
        float[] row = new float[COLS];
        for (int n : new int[] {1, 3, 8, 20}) {
            for (boolean decode : new boolean[] {true, false}) {
                float[] x = RandomBlocks.activations(n * COLS, 48 + n), a = new float[n * ROWS], b = new float[n * ROWS];
                float[] scratch = new float[WeightTensor.scratchFloats(COLS)];
                batch.matmul(x, n, decode, a, 0, ROWS, 0, ROWS, false, scratch);
                one.matmul(x, n, decode, b, 0, ROWS, 0, ROWS, false, scratch);
                assertThat(b).as("n=%d decode=%s", n, decode).containsExactly(a);
                boolean rounded = decode;
                int moved = 0;
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < ROWS; r++) {
                        batch.dequantizeRow(r, row, 0);
                        double exact = batch.referenceDot(r, x, t * COLS), magnitude = 0;
                        for (int k = 0; k < COLS; k++) magnitude += Math.abs((double) row[k] * x[t * COLS + k]);
                        double rounding = rounded ? KQuantDecodeTest.quantization(row, x, t * COLS, COLS) : 0;
                        float got = a[t * ROWS + r];
                        assertThat((double) got).as("n=%d decode=%s token %d row %d", n, decode, t, r).isCloseTo(exact, Offset.offset(rounding + 1e-5 * magnitude + 1e-6));
                        if (Math.abs(got - exact) > 1e-5 * magnitude + 1e-6) moved++;
                    }
                }
                if (rounded) assertThat(moved).as("n=%d: products the rounding moved", n).isPositive();
                if (!decode && n < WeightTensor.TILE_FROM) { // a prompt token gets the same bits in any small batch
                    for (int[] range : new int[][] {{0, ROWS}, {3, ROWS - 7}, {Lanes.L, 2 * Lanes.L}}) {
                        for (int t = 0; t < n; t++) {
                            float[] alone = new float[ROWS], xt = java.util.Arrays.copyOfRange(x, t * COLS, (t + 1) * COLS);
                            one.matmul(xt, 1, false, alone, 0, ROWS, range[0], range[1], false, scratch);
                            for (int r = range[0]; r < range[1]; r++) assertThat(alone[r]).as("n=%d token %d row %d", n, t, r).isEqualTo(a[t * ROWS + r]);
                        }
                    }
                }
            }
        }
        float[] rowsB = new float[COLS], rowsO = new float[COLS];
        for (int r = 0; r < ROWS; r++) {
            batch.decodeRow(r, rowsB, 0);
            one.decodeRow(r, rowsO, 0);
            assertThat(rowsO).as("row %d", r).containsExactly(rowsB);
        }
    }

    @ParameterizedTest
    @EnumSource(DecodeLayout.class)
    void dotStaysWithinRoundingOfTheReference(DecodeLayout layout) {
        WeightTensor w = RandomBlocks.tensor(GgmlType.Q4_0, ROWS, COLS, 43, layout);
        float[] x = RandomBlocks.activations(COLS, 44);
        for (int r = 0; r < ROWS; r++) {
            double magnitude = 0;
            float[] row = new float[COLS];
            w.dequantizeRow(r, row, 0);
            for (int j = 0; j < COLS; j++) magnitude += Math.abs((double) row[j] * x[j]);
            double rounding = KQuantDecodeTest.quantization(row, x, 0, COLS); // 8-bit activations
            assertThat((double) w.dot(r, x, 0)).as("row %d", r).isCloseTo(w.referenceDot(r, x, 0), Offset.offset(rounding + 1e-5 * magnitude + 1e-6));
        }
    }

    @ParameterizedTest
    @EnumSource(DecodeLayout.class)
    void theVectorRowDecoderEqualsTheScalarReference(DecodeLayout layout) {
        WeightTensor w = RandomBlocks.tensor(GgmlType.Q4_0, ROWS, COLS, 45, layout);
        float[] vector = new float[COLS], scalar = new float[COLS];
        for (int r = 0; r < ROWS; r++) {
            w.decodeRow(r, vector, 0);
            w.dequantizeRow(r, scalar, 0);
            assertThat(vector).as("row %d", r).containsExactly(scalar);
        }
    }
}
