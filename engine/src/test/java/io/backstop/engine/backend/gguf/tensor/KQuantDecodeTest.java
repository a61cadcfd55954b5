package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Q4_K in its rows-in-lanes layout ({@link Q4_KLanes}, the default) against the file's blocks and the row-pair layout:
 * the same decoded rows bit for bit (so prefill gets the row pairs' bits), dot products within float rounding of the
 * exact one (in the one-sequence copy, plus its 8-bit activations' rounding), and every token and row of the decode kernels ({@link Q4_KLaneKernels}, every grouping they take: four
 * groups of L rows, two, one, a group a range covers in part, the padded last one) the bits of {@link WeightTensor#dot}
 * whatever rows a chunk starts and ends at and whatever the batch below the tile, so a token gets the same bits alone
 * and in any batch; in both copies ({@link DecodeLayout}: the one-sequence copy's runs in quads, {@link Q4_KQuadKernels},
 * multiplying 8-bit activations, within that rounding of the batch copy; its prompt form stays in floats).
 */
class KQuantDecodeTest {
    private static final int ROWS = 8 * Lanes.L + 2 * Lanes.L + 5;

    @ParameterizedTest(name = "{0} columns")
    @ValueSource(ints = {256, 768, 2048})
    void rowsInLanesDecodeAndMultiplyAsTheFileSays(int cols) {
        assumeThat(Lanes.VECTOR).as("vector kernels").isTrue();
        MemorySegment data = blocks(cols, 3L * cols);
        Q4_KTensor pairs = new Q4_KTensor("pairs", data, ROWS, cols, false);
        for (DecodeLayout layout : DecodeLayout.values()) {
            rowsInLanesDecodeAndMultiplyAsTheFileSays(new Q4_KTensor("lanes", data, ROWS, cols, true, layout), pairs, cols, layout == DecodeLayout.ONE_SEQUENCE);
        }
    }

    private static void rowsInLanesDecodeAndMultiplyAsTheFileSays(Q4_KTensor lanes, Q4_KTensor pairs, int cols, boolean quantized) {
        float[] a = new float[cols], b = new float[cols];
        for (int r = 0; r < ROWS; r++) {
            lanes.decodeRow(r, a, 0);
            lanes.dequantizeRow(r, b, 0);
            assertThat(a).as("row %d decoded", r).containsExactly(b);
        }
        float[] x = RandomBlocks.activations(21 * cols, 5);
        for (int r = 0; r < ROWS; r++) {
            double exact = lanes.referenceDot(r, x, cols), magnitude = 0;
            lanes.dequantizeRow(r, b, 0);
            for (int k = 0; k < cols; k++) magnitude += Math.abs((double) b[k] * x[cols + k]);
            double rounding = quantized ? quantization(b, x, cols, cols) : 0;
            assertThat((double) lanes.dot(r, x, cols)).as("row %d", r).isCloseTo(exact, Offset.offset(rounding + 1e-5 * magnitude + 1e-6));
        }
        for (int n : new int[] {16, 21}) { // prefill, through decoded rows: the row pairs' bits
            float[] one = new float[n * ROWS], two = new float[n * ROWS];
            lanes.matmul(x, n, one, 0, ROWS, 0, ROWS, false, new float[WeightTensor.scratchFloats(cols)]);
            pairs.matmul(x, n, two, 0, ROWS, 0, ROWS, false, new float[WeightTensor.scratchFloats(cols)]);
            assertThat(one).as("batch of %d", n).containsExactly(two);
        }
    }

    @ParameterizedTest(name = "{0} columns")
    @ValueSource(ints = {256, 512})
    void everyBatchAndRowRangeGivesEachTokenTheBitsOfDot(int cols) {
        assumeThat(Lanes.VECTOR).as("vector kernels").isTrue();
        MemorySegment data = blocks(cols, 7);
        Q4_KTensor batch = new Q4_KTensor("lanes", data, ROWS, cols, true, DecodeLayout.BATCH);
        Q4_KTensor quads = new Q4_KTensor("quads", data, ROWS, cols, true, DecodeLayout.ONE_SEQUENCE);
        float[] x = RandomBlocks.activations(cols, 3);
        float[] w = new float[cols];
        for (int r = 0; r < ROWS; r++) { // the one-sequence copy multiplies 8-bit activations (Q8Activations)
            batch.dequantizeRow(r, w, 0);
            double magnitude = 0;
            for (int k = 0; k < cols; k++) magnitude += Math.abs((double) w[k] * x[k]);
            assertThat((double) quads.dot(r, x, 0)).as("row %d in both copies", r).isCloseTo(batch.dot(r, x, 0), Offset.offset(quantization(w, x, 0, cols) + 1e-5 * magnitude));
        }
        everyBatchAndRowRangeGivesEachTokenTheBitsOfDot(batch, cols);
        everyBatchAndRowRangeGivesEachTokenTheBitsOfDot(quads, cols);
    }

    private static void everyBatchAndRowRangeGivesEachTokenTheBitsOfDot(Q4_KTensor w, int cols) {
        int l = Lanes.L;
        int[][] ranges = {{0, ROWS}, {l, ROWS}, {3, ROWS - 7}, {4 * l, 8 * l}, {2 * l, 3 * l}, {5, 6}, {2 * l, ROWS}};
        for (int n = 1; n < WeightTensor.TILE_FROM; n++) {
            assertThat(w.decodePath(n, WeightTensor.scratchFloats(cols))).as("n=%d", n).contains("rows in lanes");
            float[] x = RandomBlocks.activations(n * cols, 10 + n);
            float[] alone = new float[n * ROWS];
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < ROWS; r++) alone[t * ROWS + r] = w.dot(r, x, t * cols);
            }
            for (int[] range : ranges) {
                for (boolean add : new boolean[] {false, true}) {
                    for (float[] scratch : new float[][] {new float[1], new float[cols], new float[WeightTensor.scratchFloats(cols)]}) {
                        float[] out = new float[n * ROWS];
                        Arrays.fill(out, 0.5f);
                        w.matmul(x, n, true, out, 0, ROWS, range[0], range[1], add, scratch);
                        for (int t = 0; t < n; t++) {
                            for (int r = 0; r < ROWS; r++) {
                                float d = alone[t * ROWS + r];
                                float expected = r < range[0] || r >= range[1] ? 0.5f : add ? 0.5f + d : d;
                                assertThat(out[t * ROWS + r]).as("%s n=%d %s add=%s scratch %d token %d row %d", w.name(), n, Arrays.toString(range), add, scratch.length, t, r)
                                        .isEqualTo(expected);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The one-sequence copy's decode kernels round activations to 8 bits ({@link WeightTensor#roundsActivations}); its
     * prompt form of {@link WeightTensor#matmul} below the tile does not (so a prompt's tokens get float bits however
     * the prompt is chunked): within float rounding of the exact products, off the lanes kernels.
     */
    @ParameterizedTest(name = "{0} columns")
    @ValueSource(ints = {256, 512})
    void theOneSequenceCopysPromptFormStaysInFloats(int cols) {
        assumeThat(Lanes.VECTOR).as("vector kernels").isTrue();
        Q4_KTensor quads = new Q4_KTensor("quads", blocks(cols, 9), ROWS, cols, true, DecodeLayout.ONE_SEQUENCE);
        assertThat(quads.roundsActivations()).isTrue();
        float[] w = new float[cols];
        for (int n : new int[] {1, 5}) {
            assertThat(quads.matmulPath(n, WeightTensor.scratchFloats(cols))).as("n=%d", n).doesNotContain("rows in lanes");
            float[] x = RandomBlocks.activations(n * cols, 30 + n), out = new float[n * ROWS];
            quads.matmul(x, n, out, 0, ROWS, 0, ROWS, false, new float[WeightTensor.scratchFloats(cols)]);
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < ROWS; r++) {
                    quads.dequantizeRow(r, w, 0);
                    double magnitude = 0;
                    for (int k = 0; k < cols; k++) magnitude += Math.abs((double) w[k] * x[t * cols + k]);
                    assertThat((double) out[t * ROWS + r]).as("n=%d token %d row %d", n, t, r).isCloseTo(quads.referenceDot(r, x, t * cols), Offset.offset(1e-5 * magnitude + 1e-6));
                }
            }
        }
    }

    /**
     * How far a row's product can move when its activations are rounded to 8 bits per block of 32
     * ({@link Q8Activations}): each by at most half its block's step, {@code max|x| / 254}.
     */
    static double quantization(float[] w, float[] x, int xOff, int cols) {
        double bound = 0;
        for (int b = 0; b < cols; b += Q8Activations.BLOCK) {
            double amax = 0, weights = 0;
            for (int k = b; k < b + Q8Activations.BLOCK; k++) {
                amax = Math.max(amax, Math.abs(x[xOff + k]));
                weights += Math.abs(w[k]);
            }
            bound += amax / 254 * weights * (1 + 1e-6);
        }
        return bound;
    }

    @org.junit.jupiter.api.Test
    void q4kTensorsLoadInLanesUnlessTheRowPairsAreAskedFor() {
        assumeThat(Lanes.VECTOR).as("vector kernels").isTrue();
        assumeThat(System.getProperty("backstop.gguf.q4k")).as("no layout asked for").isNull();
        WeightTensor w = RandomBlocks.tensor(io.backstop.engine.backend.gguf.file.GgmlType.Q4_K, ROWS, 256, 9);
        assertThat(w.matmulPath(4, WeightTensor.scratchFloats(256))).isEqualTo(Lanes.L + " rows in lanes × 4 tokens");
        Q4_KTensor pairs = new Q4_KTensor("pairs", blocks(256, 9), ROWS, 256, false);
        assertThat(pairs.matmulPath(4, WeightTensor.scratchFloats(256))).isEqualTo("4×4 tile");
    }

    /** Random Q4_K blocks (every nibble, scale and min pattern) with sane F16 d and dmin. */
    private static MemorySegment blocks(int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[ROWS * cols / Q4_KTensor.BLOCK * Q4_KTensor.BYTES];
        r.nextBytes(b);
        for (int p = 0; p < b.length; p += Q4_KTensor.BYTES) {
            putF16(b, p, (float) r.nextDouble(-0.1, 0.1));
            putF16(b, p + 2, (float) r.nextDouble(-0.1, 0.1));
        }
        return MemorySegment.ofArray(b);
    }

    private static void putF16(byte[] b, int p, float v) {
        short h = Float.floatToFloat16(v);
        b[p] = (byte) h;
        b[p + 1] = (byte) (h >> 8);
    }
}
