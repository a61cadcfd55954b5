package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link WeightTensor#declareActivations}: under a declaration the tile path keeps its transposition from one product to
 * the next; a new version, a withdrawal, or a product off the tile path in between makes it transpose afresh, so every
 * product gets the bits of its own activations. Types of each tile form: F32 (whole rows), Q8_0 (K-slices), Q4_0 (columns).
 */
class DeclaredActivationsTest {
    private static final int ROWS = 40, N = 20;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0"})
    void aDeclarationKeepsTheTranspositionUntilItsVersionChanges(GgmlType type) {
        int cols = cols(type);
        WeightTensor w = RandomBlocks.tensor(type, ROWS, cols, 3);
        float[] x = RandomBlocks.activations(N * cols, 4), y = RandomBlocks.activations(N * cols, 5);
        float[] scratch = new float[WeightTensor.scratchFloats(cols)];
        WeightTensor.declareActivations(scratch, 7);
        float[] first = product(w, x.clone(), N, scratch);
        assertThat(first).containsExactly(product(w, x, N, fresh(cols)));

        float[] changed = x.clone();
        System.arraycopy(y, 0, changed, 0, changed.length);
        // the same declaration promises the same activations: the kept transposition is used (x's products, not y's)
        assertThat(product(w, changed, N, scratch)).as("kept under version 7").containsExactly(first);

        WeightTensor.declareActivations(scratch, 8);
        assertThat(product(w, changed, N, scratch)).as("version 8").containsExactly(product(w, y, N, fresh(cols)));

        WeightTensor.declareActivations(scratch, 0); // withdrawn: compared with the copy again
        assertThat(product(w, x, N, scratch)).as("withdrawn, x").containsExactly(first);
        assertThat(product(w, y, N, scratch)).as("withdrawn, y").containsExactly(product(w, y, N, fresh(cols)));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0"})
    void aProductOffTheTilePathWithdrawsTheDeclaration(GgmlType type) {
        int cols = cols(type);
        WeightTensor w = RandomBlocks.tensor(type, ROWS, cols, 3);
        float[] x = RandomBlocks.activations(N * cols, 4), y = RandomBlocks.activations(N * cols, 5);
        float[] scratch = new float[WeightTensor.scratchFloats(cols)];
        for (int few : new int[] {1, 5}) { // the fused kernel, and (F32, Q8_0) the small-batch tile, whose sums lie over the record
            WeightTensor.declareActivations(scratch, 11);
            product(w, x, N, scratch);
            product(w, y, few, scratch);
            // under the same version this would be a misuse; the small product withdrew the declaration, so y is compared and used
            assertThat(product(w, y, N, scratch)).as("after %d tokens", few).containsExactly(product(w, y, N, fresh(cols)));
            assertThat(scratch[scratch.length - 1]).as("declaration after %d tokens", few).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "Q8_0", "Q4_0"})
    void withoutADeclarationTheSumsOfAnotherPathNeverPassForOne(GgmlType type) {
        int cols = cols(type);
        WeightTensor w = RandomBlocks.tensor(type, ROWS, cols, 3);
        float[] x = RandomBlocks.activations(N * cols, 4), y = RandomBlocks.activations(N * cols, 5);
        float[] scratch = new float[WeightTensor.scratchFloats(cols)];
        product(w, x, 5, scratch); // may write its sums over the scratch's last floats
        assertThat(product(w, x, N, scratch)).containsExactly(product(w, x, N, fresh(cols)));
        assertThat(product(w, y, N, scratch)).containsExactly(product(w, y, N, fresh(cols)));
    }

    /** Three K-blocks, and for F32 a remainder. */
    private static int cols(GgmlType type) {
        return type == GgmlType.F32 ? 3 * OuterProduct.KC + 5 : 3 * OuterProduct.KC;
    }

    private static float[] fresh(int cols) {
        return new float[WeightTensor.scratchFloats(cols)];
    }

    private static float[] product(WeightTensor w, float[] x, int n, float[] scratch) {
        float[] out = new float[n * ROWS];
        w.matmul(x, n, out, 0, ROWS, 0, ROWS, false, scratch);
        return out;
    }
}
