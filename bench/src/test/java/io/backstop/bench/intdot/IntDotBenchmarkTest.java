package io.backstop.bench.intdot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kernel of the integer-activation experiment computes its product, and the integer ones stay within Q8 activation rounding of the float ones. */
class IntDotBenchmarkTest {
    @ParameterizedTest(name = "{0} batch {2}")
    @CsvSource({
        "float, float, 1", "heap, float, 3", "int, float, 1", "int, float, 3",
        "swShort, float, 3", "swByte, float, 1",
        "q4float, q4float, 1", "q4heap, q4float, 3", "q4int, q4float, 1", "q4int, q4float, 3", "q4fold, q4float, 3"})
    void computesTheProductOfItsOperands(String kernel, String floatKernel, int batch) {
        IntDotBenchmark k = bench(kernel, batch);
        float[] out = k.matmul().clone();
        assertThat(k.error()).as("against float64 of its own operands").isLessThan(1e-5);

        float[] reference = bench(floatKernel, batch).matmul();
        double worst = 0, scale = 0;
        for (int i = 0; i < out.length; i++) {
            worst = Math.max(worst, Math.abs(out[i] - reference[i]));
            scale = Math.max(scale, Math.abs(reference[i]));
        }
        assertThat(worst / scale).as("against %s: only the Q8 rounding of the activations may differ", floatKernel).isLessThan(1e-2);
        if (kernel.equals(floatKernel) || kernel.endsWith("heap") || kernel.equals("q4fold")) assertThat(worst / scale).isLessThan(1e-5);
    }

    private static IntDotBenchmark bench(String kernel, int batch) {
        IntDotBenchmark b = new IntDotBenchmark();
        b.kernel = kernel;
        b.shape = "64x256";
        b.batch = batch;
        b.workingSetMb = 1;
        b.prepareEach = true;
        b.setup();
        return b;
    }
}
