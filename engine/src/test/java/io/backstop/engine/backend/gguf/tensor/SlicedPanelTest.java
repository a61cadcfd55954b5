package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import org.junit.jupiter.api.Test;

/** The K-sliced tile path at the sizes a forward pass gives it: full 128-row panels, several K-blocks and token spans. */
class SlicedPanelTest {

    @Test
    void fullSlicePanelsAndTwoTokenSpansGiveEveryRowAndTokenTheBitsOfOneFusedMultiplyAddChain() {
        int cols = 6 * OuterProduct.KC, rows = 2 * WeightTensor.SLICE_ROWS + OuterProduct.ROWS + 5;
        int n = WeightTensor.TILE_TOKENS + 20, from = 3; // a second span of one token block with 20 tokens
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
