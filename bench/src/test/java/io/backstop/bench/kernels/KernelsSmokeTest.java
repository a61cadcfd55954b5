package io.backstop.bench.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.DType;
import io.backstop.bench.BenchMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The kernel benchmark's smoke mode runs and reports every dtype, and the kernels it times compute the right product. */
class KernelsSmokeTest {
    @Test
    void smokeRunReportsEveryDtype() throws Exception {
        List<KernelResult> results = Kernels.run(KernelOptions.smoke());
        assertThat(results).hasSize(KernelOptions.smoke().batches().size() * KernelOptions.ENGINE_DTYPES.size());
        for (KernelDtype d : KernelOptions.ENGINE_DTYPES) {
            assertThat(results).filteredOn(r -> r.dtype().equals(d.name())).isNotEmpty()
                    .allSatisfy(r -> {
                        assertThat(r.gflops()).isPositive().isFinite();
                        assertThat(r.gbps()).isPositive().isFinite();
                        assertThat(r.nanosPerOp()).isPositive();
                        assertThat(r.correct()).as("kernel check of %s", r).isTrue();
                    });
        }
        assertThat(results).filteredOn(r -> r.dtype().equals("Q4")).allSatisfy(r -> assertThat(r.activations()).isEqualTo("I8"));
        assertThat(results).filteredOn(r -> r.dtype().equals("BF16")).allSatisfy(r -> assertThat(r.activations()).isEqualTo("BF16"));
    }

    @Test
    void smokeCommandPrintsTheTable() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new BenchMain()).execute("kernels", "--smoke")).isZero();
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("Hardware:").contains("GFLOP/s").contains("weights GB/s");
        List<String> rows = text.lines().filter(l -> l.startsWith("| 512×512 |")).toList();
        assertThat(rows).hasSize(6);
        for (String dtype : List.of("F32", "BF16", "Q4")) {
            assertThat(rows).filteredOn(l -> l.split("\\|")[3].trim().equals(dtype)).hasSize(2)
                    .allSatisfy(l -> assertThat(Double.parseDouble(l.split("\\|")[7].trim())).isPositive());
        }
    }

    /**
     * Every kernel against a plain-Java F32 product of the unquantized weights and activations (bounds for the
     * dtype's own rounding: BF16 keeps 8 significant bits, Q4 4 bits per weight), and against a product of the
     * dequantized values it was given (which only float summation order separates from a correct kernel).
     */
    @ParameterizedTest(name = "{0} {1}x{2} batch {3}")
    @CsvSource({
            "F32, 96, 512, 1, 1e-5",
            "F32, 96, 512, 5, 1e-5",
            "BF16, 96, 512, 1, 6e-3",
            "BF16, 96, 512, 5, 6e-3",
            "Q4, 96, 512, 1, 0.15",
            "Q4, 96, 512, 5, 0.15",
            "Q4, 64, 1536, 3, 0.15",
            "BF16_F32, 96, 512, 3, 6e-3",
            "Q4_F32, 96, 512, 3, 0.15",
    })
    void kernelMatchesPlainJavaProduct(String dtype, int rows, int cols, int batch, double bound) {
        KernelDtype d = KernelDtype.parse(dtype);
        MatrixShape shape = new MatrixShape(rows, cols);
        try (MatmulCase c = MatmulCase.create(shape, batch, d, 7)) {
            assertThat(c.activationType()).isEqualTo(d.activations(cols));
            if (d == KernelDtype.Q4) assertThat(c.activationType()).isEqualTo(DType.I8);
            c.run();
            MatmulCase.Check check = c.check();
            assertThat(check.wrong()).isZero();
            assertThat(check.relativeError()).isLessThan(1e-5);
            double err = 0, ref = 0;
            for (int b = 0; b < batch; b++) {
                float[] a = MatmulCase.activationRow(7, b, cols);
                float[] got = c.output(b);
                for (int r = 0; r < rows; r++) {
                    float[] w = MatmulCase.weightRow(7, r, cols);
                    double expected = 0;
                    for (int k = 0; k < cols; k++) expected += (double) w[k] * a[k];
                    err += (got[r] - expected) * (got[r] - expected);
                    ref += expected * expected;
                }
            }
            double relative = Math.sqrt(err / ref);
            System.err.printf("kernel %s %s batch %d: relative error vs F32 %.3g%n", dtype, shape, batch, relative);
            assertThat(relative).isLessThan(bound);
        }
    }

    @Test
    void checkNoticesAWrongOutput() {
        try (MatmulCase c = MatmulCase.create(new MatrixShape(64, 512), 3, KernelDtype.F32, 7)) {
            c.run();
            assertThat(c.check().ok()).isTrue();
            c.result().set(c.result().get(2, 63) + 1f, 2, 63);
            MatmulCase.Check check = c.check();
            assertThat(check.wrong()).isEqualTo(1);
            assertThat(check.ok()).isFalse();
        }
    }

    @Test
    void rotatesOverCopiesOfTheWeights() {
        MatrixShape shape = new MatrixShape(64, 512);
        for (KernelDtype d : KernelOptions.ENGINE_DTYPES) {
            try (MatmulCase c = MatmulCase.create(shape, 2, d, 7, 3 * d.weightBytes(64, 512))) {
                assertThat(c.copies()).isEqualTo(3);
                for (int i = 0; i < 5; i++) {
                    c.run();
                    assertThat(c.check().ok()).as("%s, product %d", d, i).isTrue();
                }
            }
        }
    }
}
