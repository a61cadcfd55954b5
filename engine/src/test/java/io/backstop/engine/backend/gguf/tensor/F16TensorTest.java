package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * F16's single-token kernel takes a call's rows in pairs from the two halves of its range ({@code row},
 * {@code row + half}): every row must keep {@link WeightTensor#dot}'s bits whatever the range, the row
 * length, the scratch and the batch. Row lengths here are multiples of 2·L (the pairs) and not (one row at a
 * time), ranges odd and even.
 */
class F16TensorTest {
    private static final int[][] RANGES = {{0, 13}, {1, 12}, {2, 7}, {5, 6}, {3, 3}, {0, 2}, {4, 13}};

    @Test
    void rowsInPairsFromBothHalvesOfTheRangeGetTheBitsOfDot() {
        int rows = 13;
        for (int cols : new int[] {2 * Lanes.L, 4 * Lanes.L, 2048, 75}) {
            WeightTensor w = RandomBlocks.tensor(GgmlType.F16, rows, cols, cols);
            float[][] scratches = {new float[cols], new float[cols + 2], new float[WeightTensor.scratchFloats(cols)]}; // the pairs need two floats past the row
            for (int n = 1; n < w.fusedBelow(); n++) {
                float[] x = RandomBlocks.activations(n * cols, 3L * n + cols);
                for (int[] range : RANGES) {
                    for (float[] scratch : scratches) {
                        for (boolean add : new boolean[] {false, true}) {
                            float[] out = new float[n * rows];
                            Arrays.fill(out, 0.5f);
                            w.fusedRows(x, n, out, 0, rows, range[0], range[1], add, scratch);
                            for (int t = 0; t < n; t++) {
                                for (int r = 0; r < rows; r++) {
                                    boolean in = r >= range[0] && r < range[1];
                                    float dot = w.dot(r, x, t * cols);
                                    float expected = !in ? 0.5f : add ? 0.5f + dot : dot;
                                    assertThat(out[t * rows + r]).as("cols %d n=%d token %d row %d of %s scratch %d add=%s", cols, n, t, r,
                                            Arrays.toString(range), scratch.length, add).isEqualTo(expected);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void aTokenGetsTheSameBitsAloneAndInEveryBatchOfTheFusedKernel() {
        int rows = 21, cols = 4 * Lanes.L;
        WeightTensor w = RandomBlocks.tensor(GgmlType.F16, rows, cols, 17);
        int most = w.fusedBelow() - 1; // from fusedBelow on, rows are decoded into scratch (other tests)
        float[] x = RandomBlocks.activations(most * cols, 18);
        x[cols + 5] = 0x1p16f; // a token too large to scale by 2^112 takes dot itself, alone and in a batch
        float[][] alone = new float[most][rows];
        for (int t = 0; t < most; t++) {
            w.matmul(Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone[t], 0, rows, 0, rows, false, new float[WeightTensor.scratchFloats(cols)]);
        }
        for (int n = 2; n <= most; n++) {
            for (int[] range : new int[][] {{0, rows}, {3, 20}, {4, 20}}) {
                float[] batch = new float[n * rows];
                w.matmul(x, n, batch, 0, rows, range[0], range[1], false, new float[WeightTensor.scratchFloats(cols)]);
                for (int t = 0; t < n; t++) {
                    assertThat(Arrays.copyOfRange(batch, t * rows + range[0], t * rows + range[1])).as("n=%d token %d rows %s", n, t, Arrays.toString(range))
                            .containsExactly(Arrays.copyOfRange(alone[t], range[0], range[1]));
                }
            }
        }
    }
}
