package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * The K-sliced tile path at the sizes a forward pass gives it: full 128-row panels, several K-blocks and token spans,
 * with slices of rows (a row range that starts inside a group of L rows) and with column slices of whole groups.
 */
class SlicedPanelTest {

    @Test
    void fullSlicePanelsAndTwoTokenSpansGiveEveryRowAndTokenTheBitsOfOneFusedMultiplyAddChain() {
        assertTilePathMatchesTheChain(6 * OuterProduct.KC, 3);
    }

    @Test
    void columnSlicesOfWholeRowGroupsGiveTheSameBits() {
        assertThat(RandomBlocks.tensor(GgmlType.Q4_0, Lanes.L, 64, 1).decodeColumns(0, 0, 0, new float[0], 0))
                .as("Q4_0 decodes column slices").isEqualTo(Lanes.VECTOR);
        assertTilePathMatchesTheChain(5 * OuterProduct.KC + 64, 0); // a short last K-block
        assertTilePathMatchesTheChain(6 * OuterProduct.KC, Lanes.L);
    }

    @Test
    void q4_0ColumnSlicesHoldEachRowsDecodedValues() {
        int l = Lanes.L, rows = 3 * l - 5, cols = 2 * OuterProduct.KC + 96;
        WeightTensor w = RandomBlocks.tensor(GgmlType.Q4_0, rows, cols, 31);
        float[] row = new float[cols], out = new float[OuterProduct.KC * l];
        for (int g = 0; g * l < rows; g++) {
            for (int k0 = 0; k0 < cols; k0 += OuterProduct.KC) {
                int k1 = Math.min(cols, k0 + OuterProduct.KC);
                assertThat(w.decodeColumns(g * l, k0, k1, out, 0)).isEqualTo(Lanes.VECTOR);
                if (!Lanes.VECTOR) return;
                for (int j = 0; j < l; j++) {
                    int r = g * l + j;
                    if (r < rows) w.decodeRow(r, row, 0);
                    else java.util.Arrays.fill(row, 0f); // the copy's padding rows
                    for (int k = k0; k < k1; k++) {
                        // + 0f: a zero weight's sign may differ (fma(8, d, −8d) is +0 where 0·d is −0 for d < 0),
                        // which no multiply-add chain from +0 can see
                        assertThat(out[(k - k0) * l + j] + 0f).as("row %d value %d", r, k).isEqualTo(row[k] + 0f);
                    }
                }
            }
        }
    }

    /** Rows from {@code from} of a Q4_0 tensor times two token spans through the tile path, against the chain per (row, token). */
    private static void assertTilePathMatchesTheChain(int cols, int from) {
        int rows = 2 * TilePath.SLICE_ROWS + OuterProduct.ROWS + 5;
        int n = TilePath.TILE_TOKENS + 20; // a second span of one token block with 20 tokens
        WeightTensor w = RandomBlocks.tensor(GgmlType.Q4_0, rows, cols, 21);
        float[] x = RandomBlocks.activations(n * cols, 22);
        float[] out = new float[n * rows];
        java.util.Arrays.fill(out, 0.25f);
        w.matmul(x, n, out, 0, rows, from, rows, true, new float[WeightTensor.scratchFloats(cols)]);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            w.dequantizeRow(r, row, 0);
            for (int t = 0; t < n; t++) {
                float s = 0;
                for (int k = 0; k < cols; k++) s = Math.fma(row[k], x[t * cols + k], s);
                assertThat(out[t * rows + r]).as("row %d token %d", r, t).isEqualTo(r < from ? 0.25f : 0.25f + s);
            }
        }
        assertThat(w.matmulPath(n, WeightTensor.scratchFloats(cols))).isEqualTo(OuterProduct.ROWS + "×" + OuterProduct.TOKENS + " tile");
    }
}
