package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.nativekernels.NativeKernelResult;
import io.backstop.bench.nativekernels.NativeKernels;
import io.backstop.engine.backend.gguf.file.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The native engine's benchmarks run end to end: {@code native-kernels} (JMH, every benchmarked type checked
 * against the scalar reference) and {@code vs-llama} (with llama.cpp's llama-bench when a build is found:
 * env LLAMA_CPP_BIN, else ../peers/llama.cpp/build/bin beside the test data; without it, our side alone).
 */
class NativeBenchSmokeTest {
    @TempDir
    Path tmp;

    @Test
    void nativeKernelsMeasureEveryTypeAndCheckItsProducts() throws Exception {
        List<GgmlType> types = List.of(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.F16, GgmlType.BF16, GgmlType.F32);
        // a smoke run measures nothing, so it need not wait for another JMH run on this machine (JMH's /tmp/jmh.lock)
        String lock = System.setProperty("jmh.ignoreLock", "true");
        List<NativeKernelResult> results;
        try {
            results = NativeKernels.run(new NativeKernels.Options(types, List.of("64x512"), List.of(1, 5, 17), 2, 1, 100, 1, 100, 0, 1,
                    false, List.of(true, false)));
        } finally {
            if (lock == null) System.clearProperty("jmh.ignoreLock");
            else System.setProperty("jmh.ignoreLock", lock);
        }
        assertThat(results).hasSize(types.size() * 3 * 2).allSatisfy(r -> {
            assertThat(r.nanosPerOp()).isPositive();
            assertThat(r.gbps()).isPositive().isFinite();
            assertThat(r.relativeError()).as("%s batch %d vs the scalar reference", r.type(), r.batch()).isLessThanOrEqualTo(1e-4);
        });
        // each row is labelled by the path the product really took: Q4_0 and Q4_K (rows in lanes) below 16 tokens take the
        // fused kernel whatever the tile switch says, the other types the 4×4 tile (or one row × 4 tokens without its
        // scratch), and from 16 on the tile
        String tile = "8×" + 2 * io.backstop.engine.backend.gguf.tensor.Lanes.L + " tile";
        String q4 = io.backstop.engine.backend.gguf.tensor.Lanes.L + " rows in lanes × 5 tokens";
        String q40 = io.backstop.engine.backend.gguf.tensor.Lanes.L + " rows in lanes (quads, 8-bit activations, token by token) × 5 tokens";
        assertThat(NativeKernels.table(results)).contains("| Q4_K | 64×512 | 17 | " + tile + " |").contains("| Q4_K | 64×512 | 17 | 1 row, scalar |")
                .contains("| Q4_K | 64×512 | 5 | " + q4 + " |")
                .contains("| Q5_0 | 64×512 | 5 | 4×4 tile |").contains("| Q5_0 | 64×512 | 5 | 1 row × 4 tokens |")
                .contains("| Q4_0 | 64×512 | 5 | " + q40 + " |").contains("| Q4_0 | 64×512 | 17 | " + tile + " |").contains("| F32 | 64×512 | 1 | fused, 1 token |");
    }

    @Test
    void q4_0sOneDecodeCopyServesBothLayoutsAndIsCheckedWithItsRounding() throws Exception {
        String lock = System.setProperty("jmh.ignoreLock", "true");
        List<NativeKernelResult> results;
        try {
            results = NativeKernels.run(new NativeKernels.Options(List.of(GgmlType.Q4_0), List.of("128x512"), List.of(1, 5), 2, 1, 100, 1, 100, 0, 1,
                    false, List.of(true), List.of(io.backstop.engine.backend.gguf.tensor.DecodeLayout.values())));
        } finally {
            if (lock == null) System.clearProperty("jmh.ignoreLock");
            else System.setProperty("jmh.ignoreLock", lock);
        }
        // the 8-bit activations' rounding is allowed for (NativeMatmul.check): what remains is float rounding
        assertThat(results).hasSize(4).allSatisfy(r -> assertThat(r.relativeError()).as("%s batch %d", r.path(), r.batch()).isLessThanOrEqualTo(1e-4));
        String lanes = io.backstop.engine.backend.gguf.tensor.Lanes.L + " rows in lanes (quads, 8-bit activations, token by token)";
        assertThat(results).allSatisfy(r -> assertThat(r.path()).startsWith(lanes));
        assertThat(NativeKernels.table(results)).contains("| Q4_0 | 128×512 | 1 | " + lanes + " × 1 token |").contains("| Q4_0 | 128×512 | 5 | " + lanes + " × 5 tokens |");
    }

    @Test
    void vsLlamaPutsBothEnginesOnTheSameFile() throws Exception {
        Path llamaBench = Path.of(System.getenv().getOrDefault("LLAMA_CPP_BIN",
                Path.of(System.getProperty("backstop.shared", "../shared"), "../peers/llama.cpp/build/bin").toString())).resolve("llama-bench");
        boolean peer = Files.isExecutable(llamaBench);
        List<String> args = new java.util.ArrayList<>(List.of("vs-llama", "--shape", "llama-tiny", "--dtype", "q4_0", "--threads", "1", "--pp", "16",
                "--tg", "4", "--reps", "2", "--bandwidth-mb", "8", "--cache", tmp.resolve("models").toString(), "--out", tmp.resolve("results").toString()));
        if (peer) args.addAll(List.of("--llama-bench", llamaBench.toString()));
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new BenchMain()).execute(args.toArray(String[]::new))).isZero();
        } finally {
            System.setOut(old);
        }
        String md = Files.readString(tmp.resolve("results/vs-llama.md"));
        assertThat(md).contains("| llama-tiny | Q4_0 | 1 | pp16 |").contains("| llama-tiny | Q4_0 | 1 | tg4 |").contains("Load average");
        assertThat(tmp.resolve("results/vs-llama.json")).content().contains("\"rows\"");
        String tg = md.lines().filter(l -> l.startsWith("| llama-tiny | Q4_0 | 1 | tg4 |")).findFirst().orElseThrow();
        if (peer) assertThat(tg.split("\\|")[7].trim()).as(tg).endsWith("×"); // a ratio, both sides measured
        else assertThat(tg.split("\\|")[7].trim()).isEqualTo("–");
    }

    @Test
    void badArgumentsAreOneLineAndExitCode2() {
        StringWriter err = new StringWriter();
        CommandLine cli = io.backstop.engine.cli.CliErrors.install(new CommandLine(new BenchMain())).setErr(new PrintWriter(err));
        assertThat(cli.execute("vs-llama", "--dtype", "q3")).isEqualTo(2);
        assertThat(cli.execute("native-kernels", "--types", "Q4_1")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(2).anySatisfy(l -> assertThat(l).contains("--dtype: unknown GGUF mix 'q3'"))
                .anySatisfy(l -> assertThat(l).contains("--types: 'Q4_1' is not benchmarked"));
    }
}
