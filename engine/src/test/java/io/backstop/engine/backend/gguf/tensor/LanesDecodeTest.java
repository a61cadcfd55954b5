package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.util.Arrays;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The byte-per-weight decode kernels in rows in lanes, quads, token by token — Q6_K's in both copies
 * ({@link Q6_KLanes}), Q8_0's one-sequence copy ({@link Q8_0Lanes}) beside its row pairs — over row ranges that
 * start and end on odd rows and inside a quad and every batch below the tile, with and without the scratch the kernels
 * need: each (row, token) gets exactly the bits of its copy's {@link WeightTensor#dot}, which stays within float
 * rounding of the float64 reference.
 */
class LanesDecodeTest {
    private static final int ROWS = 21, COLS = 512;

    static Stream<Arguments> copies() {
        return Stream.of(GgmlType.Q6_K, GgmlType.Q8_0).flatMap(t -> Arrays.stream(DecodeLayout.values()).map(l -> Arguments.of(t, l)));
    }

    @ParameterizedTest
    @MethodSource("copies")
    void everyBatchAndRowRangeGivesEachTokenTheBitsOfDot(GgmlType type, DecodeLayout layout) {
        WeightTensor w = RandomBlocks.tensor(type, ROWS, COLS, 61, layout);
        int[][] ranges = {{0, ROWS}, {1, ROWS}, {3, ROWS - 6}, {4, 12}, {5, 6}, {16, 19}};
        for (int n = 1; n < WeightTensor.TILE_FROM; n++) {
            float[] x = RandomBlocks.activations(n * COLS, 200 + n);
            for (int[] range : ranges) {
                for (boolean add : new boolean[] {false, true}) {
                    for (float[] scratch : new float[][] {new float[1], new float[COLS], new float[WeightTensor.scratchFloats(COLS)]}) {
                        float[] out = new float[n * ROWS];
                        Arrays.fill(out, 0.25f);
                        w.matmul(x, n, out, 0, ROWS, range[0], range[1], add, scratch);
                        for (int t = 0; t < n; t++) {
                            for (int r = 0; r < ROWS; r++) {
                                float d = w.dot(r, x, t * COLS);
                                float expected = r < range[0] || r >= range[1] ? 0.25f : add ? 0.25f + d : d;
                                assertThat(out[t * ROWS + r]).as("%s %s n=%d range %d..%d add=%s scratch %d token %d row %d", type, layout, n, range[0], range[1], add, scratch.length, t, r)
                                        .isEqualTo(expected);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("copies")
    void dotStaysWithinRoundingOfTheReference(GgmlType type, DecodeLayout layout) {
        WeightTensor w = RandomBlocks.tensor(type, ROWS, COLS, 63, layout);
        float[] x = RandomBlocks.activations(COLS, 64);
        float[] row = new float[COLS];
        for (int r = 0; r < ROWS; r++) {
            double magnitude = 0;
            w.dequantizeRow(r, row, 0);
            for (int j = 0; j < COLS; j++) magnitude += Math.abs((double) row[j] * x[j]);
            assertThat((double) w.dot(r, x, 0)).as("%s %s row %d", type, layout, r).isCloseTo(w.referenceDot(r, x, 0), Offset.offset(1e-5 * magnitude + 1e-6));
        }
    }

    @ParameterizedTest
    @MethodSource("copies")
    void theVectorRowDecoderEqualsTheScalarReference(GgmlType type, DecodeLayout layout) {
        WeightTensor w = RandomBlocks.tensor(type, ROWS, COLS, 65, layout), batch = RandomBlocks.tensor(type, ROWS, COLS, 65, DecodeLayout.BATCH);
        float[] vector = new float[COLS], scalar = new float[COLS], batchRow = new float[COLS];
        for (int r = 0; r < ROWS; r++) {
            w.decodeRow(r, vector, 0);
            w.dequantizeRow(r, scalar, 0);
            batch.dequantizeRow(r, batchRow, 0);
            assertThat(vector).as("%s %s row %d", type, layout, r).containsExactly(scalar);
            assertThat(scalar).as("%s %s row %d: the batch copy's values", type, layout, r).containsExactly(batchRow);
        }
    }
}
