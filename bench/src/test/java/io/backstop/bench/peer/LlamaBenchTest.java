package io.backstop.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaBenchTest {
    /**
     * Captured from a real llama-bench (llama.cpp build 4748, c392e5094, CPU, -march=native, 2-core AMD EPYC):
     * {@code llama-bench -m stories260K-f32.gguf -t 2 -p 64 -n 128 -r 5 -o json}.
     */
    static final String CAPTURED_JSON = """
            [
              {
                "build_commit": "c392e5094",
                "build_number": 4748,
                "cpu_info": "AMD EPYC",
                "gpu_info": "",
                "backends": "CPU",
                "model_filename": "/work/shared/models/stories260K/gguf/stories260K-f32.gguf",
                "model_type": "llama ?B all F32",
                "model_size": 1040128,
                "model_n_params": 260032,
                "n_batch": 2048,
                "n_ubatch": 512,
                "n_threads": 2,
                "cpu_mask": "0x0",
                "cpu_strict": false,
                "poll": 50,
                "type_k": "f16",
                "type_v": "f16",
                "n_gpu_layers": 99,
                "split_mode": "layer",
                "main_gpu": 0,
                "no_kv_offload": false,
                "flash_attn": false,
                "tensor_split": "0.00",
                "use_mmap": true,
                "embeddings": false,
                "n_prompt": 64,
                "n_gen": 0,
                "test_time": "2026-11-27T11:47:21Z",
                "avg_ns": 1357727,
                "stddev_ns": 96221,
                "avg_ts": 47314.787487,
                "stddev_ts": 3128.134518,
                "samples_ns": [ 1367722, 1310597, 1287302, 1302054, 1520963 ],
                "samples_ts": [ 46793.1, 48832.7, 49716.4, 49153.1, 42078.6 ]
              },
              {
                "build_commit": "c392e5094",
                "build_number": 4748,
                "cpu_info": "AMD EPYC",
                "gpu_info": "",
                "backends": "CPU",
                "model_filename": "/work/shared/models/stories260K/gguf/stories260K-f32.gguf",
                "model_type": "llama ?B all F32",
                "model_size": 1040128,
                "model_n_params": 260032,
                "n_batch": 2048,
                "n_ubatch": 512,
                "n_threads": 2,
                "cpu_mask": "0x0",
                "cpu_strict": false,
                "poll": 50,
                "type_k": "f16",
                "type_v": "f16",
                "n_gpu_layers": 99,
                "split_mode": "layer",
                "main_gpu": 0,
                "no_kv_offload": false,
                "flash_attn": false,
                "tensor_split": "0.00",
                "use_mmap": true,
                "embeddings": false,
                "n_prompt": 0,
                "n_gen": 128,
                "test_time": "2026-11-27T11:47:21Z",
                "avg_ns": 15097333,
                "stddev_ns": 191372,
                "avg_ts": 8479.402633,
                "stddev_ts": 106.963213,
                "samples_ns": [ 15363267, 14962766, 15220462, 15040903, 14899270 ],
                "samples_ts": [ 8331.56, 8554.57, 8409.73, 8510.13, 8591.02 ]
              }
            ]
            """;

    /** Captured from the same binary: {@code -m stories260K-q4_0.gguf -t 2 -p 8 -n 4 -r 2 -o jsonl}. */
    static final String CAPTURED_JSONL = """
            {"build_commit": "c392e5094", "build_number": 4748, "cpu_info": "AMD EPYC", "gpu_info": "", "backends": "CPU", "model_filename": "/work/shared/models/stories260K/gguf/stories260K-q4_0.gguf", "model_type": "llama ?B Q4_0", "model_size": 244192, "model_n_params": 260032, "n_batch": 2048, "n_ubatch": 512, "n_threads": 2, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50, "type_k": "f16", "type_v": "f16", "n_gpu_layers": 99, "split_mode": "layer", "main_gpu": 0, "no_kv_offload": false, "flash_attn": false, "tensor_split": "0.00", "use_mmap": true, "embeddings": false, "n_prompt": 8, "n_gen": 0, "test_time": "2026-11-27T11:47:24Z", "avg_ns": 273200, "stddev_ns": 59826, "avg_ts": 30001.944477, "stddev_ts": 6569.996517, "samples_ns": [ 315504, 230896 ],"samples_ts": [ 25356.3, 34647.6 ]}
            {"build_commit": "c392e5094", "build_number": 4748, "cpu_info": "AMD EPYC", "gpu_info": "", "backends": "CPU", "model_filename": "/work/shared/models/stories260K/gguf/stories260K-q4_0.gguf", "model_type": "llama ?B Q4_0", "model_size": 244192, "model_n_params": 260032, "n_batch": 2048, "n_ubatch": 512, "n_threads": 2, "cpu_mask": "0x0", "cpu_strict": false, "poll": 50, "type_k": "f16", "type_v": "f16", "n_gpu_layers": 99, "split_mode": "layer", "main_gpu": 0, "no_kv_offload": false, "flash_attn": false, "tensor_split": "0.00", "use_mmap": true, "embeddings": false, "n_prompt": 0, "n_gen": 4, "test_time": "2026-11-27T11:47:24Z", "avg_ns": 17275647, "stddev_ns": 23812938, "avg_ts": 4631.550329, "stddev_ts": 6384.178909, "samples_ns": [ 437357, 34113937 ],"samples_ts": [ 9145.85, 117.254 ]}
            """;

    @TempDir
    Path tmp;

    // ---- parsing ----

    @Test
    void parsesCapturedJsonIntoAPpRowAndATgRow() {
        List<PeerResult> rows = LlamaBench.parse(CAPTURED_JSON);
        assertThat(rows).hasSize(2);
        PeerResult pp = rows.get(0);
        assertThat(pp.test()).isEqualTo("pp64");
        assertThat(pp.threads()).isEqualTo(2);
        assertThat(pp.tokensPerSecond()).isEqualTo(47314.787487);
        assertThat(pp.stddev()).isEqualTo(3128.134518);
        assertThat(pp.samples()).containsExactly(46793.1, 48832.7, 49716.4, 49153.1, 42078.6);
        PeerResult tg = rows.get(1);
        assertThat(tg.test()).isEqualTo("tg128");
        assertThat(tg.threads()).isEqualTo(2);
        assertThat(tg.tokensPerSecond()).isEqualTo(8479.402633);
        assertThat(tg.stddev()).isEqualTo(106.963213);
        assertThat(tg.samples()).hasSize(5).first().isEqualTo(8331.56);
    }

    @Test
    void reportKeepsBuildBackendsAndModelType() {
        LlamaBench.Report r = LlamaBench.parseReport(CAPTURED_JSON);
        assertThat(r.build()).isEqualTo("b4748 (c392e5094)");
        assertThat(r.backends()).isEqualTo("CPU");
        assertThat(r.modelType()).isEqualTo("llama ?B all F32");
        assertThat(r.cpuInfo()).isEqualTo("AMD EPYC");
        assertThat(r.describe()).isEqualTo("llama.cpp b4748 (c392e5094), backends CPU, model llama ?B all F32");
    }

    @Test
    void parsesCapturedJsonl() {
        List<PeerResult> rows = LlamaBench.parse(CAPTURED_JSONL);
        assertThat(rows).extracting(PeerResult::test).containsExactly("pp8", "tg4");
        assertThat(rows.get(1).samples()).containsExactly(9145.85, 117.254);
        assertThat(LlamaBench.parseReport(CAPTURED_JSONL).modelType()).isEqualTo("llama ?B Q4_0");
    }

    @Test
    void skipsNoiseBeforeTheJsonAndIgnoresUnknownFields() {
        String newer = "some log line\n" + CAPTURED_JSON.replace("\"n_prompt\": 64,", "\"n_prompt\": 64, \"n_depth\": 512, \"devices\": \"CPU\",");
        assertThat(LlamaBench.parse(newer)).extracting(PeerResult::test).containsExactly("pp64 @ d512", "tg128");
    }

    @Test
    void namesTestsTheWayLlamaBenchDoes() {
        assertThat(LlamaBench.testName(512, 0, 0)).isEqualTo("pp512");
        assertThat(LlamaBench.testName(0, 128, 0)).isEqualTo("tg128");
        assertThat(LlamaBench.testName(512, 128, 0)).isEqualTo("pp512+tg128");
        assertThat(LlamaBench.testName(0, 32, 4096)).isEqualTo("tg32 @ d4096");
    }

    @Test
    void unparsableOutputIsOneClearLine() {
        String truncated = CAPTURED_JSON.substring(0, CAPTURED_JSON.indexOf("\"n_gen\": 128"));
        assertThatThrownBy(() -> LlamaBench.parse(truncated))
                .isInstanceOf(LlamaBenchException.class)
                .hasMessageStartingWith("could not parse llama-bench JSON output: ")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> LlamaBench.parse("| model | size |\n| --- | --- |\n"))
                .hasMessageStartingWith("llama-bench output is not JSON")
                .hasMessageNotContaining("\n");
        assertThatThrownBy(() -> LlamaBench.parse("   \n"))
                .hasMessage("llama-bench printed nothing on stdout");
        assertThatThrownBy(() -> LlamaBench.parse("[\n]\n"))
                .hasMessage("llama-bench printed no results");
        assertThatThrownBy(() -> LlamaBench.parse(CAPTURED_JSON.replace("\"avg_ts\"", "\"mean_ts\"")))
                .hasMessage("llama-bench result 1 has no number 'avg_ts' (is this llama-bench -o json output?)");
    }

    // ---- the comparison table ----

    @Test
    void compareFormatsOursBesideLlamaCppWithTheRatio() {
        Map<String, Double> ours = new LinkedHashMap<>();
        ours.put("tg128", 4239.7);
        ours.put("pp64", 23657.4);
        ours.put("pp64+tg128", 100.0);
        String table = LlamaBench.compare(ours, LlamaBench.parse(CAPTURED_JSON));
        assertThat(table).isEqualTo("""
                | test | Backstop tok/s | llama.cpp tok/s | ratio |
                |---|---:|---:|---:|
                | pp64 | 23657.4 | 47314.8 ± 3128.1 | 0.50× |
                | tg128 | 4239.7 | 8479.4 ± 107.0 | 0.50× |
                | pp64+tg128 | 100.0 | — | — |
                """);
        assertThat(LlamaBench.compare(Map.of(), List.of(new PeerResult("tg16", 1, 10, 0, List.of(10.0)))))
                .endsWith("| tg16 | — | 10.0 | — |\n");
    }

    // ---- errors before running anything ----

    @Test
    void missingBinary() {
        Path nowhere = tmp.resolve("no-such-llama-bench");
        assertThatThrownBy(() -> LlamaBench.run(nowhere, model(), 2, 64, 128, 1, Duration.ofSeconds(10)))
                .isInstanceOf(LlamaBenchException.class)
                .hasMessage("llama-bench not found: " + nowhere);
        assertThatThrownBy(() -> LlamaBench.run(null, model(), 2, 64, 128, 1, Duration.ofSeconds(10)))
                .hasMessage("no llama-bench binary given (--llama-bench PATH)");
    }

    @Test
    void binaryIsADirectory() {
        assertThatThrownBy(() -> LlamaBench.run(tmp, model(), 2, 64, 128, 1, Duration.ofSeconds(10)))
                .hasMessage("llama-bench path is a directory, not the binary: " + tmp);
    }

    @Test
    void nonExecutableBinary() throws IOException {
        Path plain = Files.writeString(tmp.resolve("llama-bench"), "not a program");
        assumeThat(plain.toFile().setExecutable(false, false)).isTrue();
        assumeThat(Files.isExecutable(plain)).as("running as a user who can execute anything").isFalse();
        assertThatThrownBy(() -> LlamaBench.run(plain, model(), 2, 64, 128, 1, Duration.ofSeconds(10)))
                .isInstanceOf(LlamaBenchException.class)
                .hasMessage("llama-bench is not executable: " + plain + " (chmod +x it)");
    }

    @Test
    void modelMissingOrNotGguf() throws IOException {
        Path bin = script("exit 0");
        Path missing = tmp.resolve("missing.gguf");
        assertThatThrownBy(() -> LlamaBench.run(bin, missing, 2, 64, 128, 1, Duration.ofSeconds(10)))
                .isInstanceOf(LlamaBenchException.class)
                .hasMessage("GGUF model not found: " + missing);
        Path safetensors = Files.writeString(tmp.resolve("model.safetensors"), "{\"__metadata__\":{}}");
        assertThatThrownBy(() -> LlamaBench.run(bin, safetensors, 2, 64, 128, 1, Duration.ofSeconds(10)))
                .hasMessage("not a GGUF file (llama-bench needs the model as .gguf): " + safetensors);
        assertThatThrownBy(() -> LlamaBench.run(bin, tmp, 2, 64, 128, 1, Duration.ofSeconds(10)))
                .hasMessage("GGUF model path is a directory, llama-bench needs the .gguf file: " + tmp);
    }

    @Test
    void badNumbers() throws IOException {
        Path bin = script("exit 0");
        assertThatThrownBy(() -> LlamaBench.run(bin, model(), 0, 64, 128, 1, Duration.ofSeconds(10)))
                .hasMessage("llama-bench threads must be at least 1, got 0");
        assertThatThrownBy(() -> LlamaBench.run(bin, model(), 2, 0, 0, 1, Duration.ofSeconds(10)))
                .hasMessage("llama-bench needs a prompt length or a generation length above 0");
        assertThatThrownBy(() -> LlamaBench.run(bin, model(), 2, 64, 128, 0, Duration.ofSeconds(10)))
                .hasMessage("llama-bench repetitions must be at least 1, got 0");
        assertThatThrownBy(() -> LlamaBench.run(bin, model(), 2, 64, 128, 1, Duration.ZERO))
                .hasMessage("llama-bench timeout must be positive, got PT0S");
    }

    @Test
    void optionsNeedBothBinaryAndGguf() {
        assertThat(new LlamaBenchOptions().requested()).isFalse();
        assertThat(new LlamaBenchOptions().run(2, 64, 128, 1)).isEmpty();
        assertThatThrownBy(() -> new LlamaBenchOptions(tmp.resolve("llama-bench"), null, Duration.ofSeconds(5)).requested())
                .hasMessage("--llama-bench needs --gguf FILE: the same model as a .gguf file");
        assertThatThrownBy(() -> new LlamaBenchOptions(null, tmp.resolve("m.gguf"), Duration.ofSeconds(5)).requested())
                .hasMessage("--gguf is only used with --llama-bench PATH");
        Path nowhere = tmp.resolve("llama-bench");
        assertThatThrownBy(() -> new LlamaBenchOptions(nowhere, tmp.resolve("m.gguf"), Duration.ofSeconds(5)).validate())
                .hasMessage("llama-bench not found: " + nowhere);
    }

    // ---- running a stand-in binary (a shell script) ----

    @Test
    void passesTheSameShapeOnTheCommandLineAndParsesStdout() throws IOException {
        Path json = Files.writeString(tmp.resolve("out.json"), CAPTURED_JSON);
        Path args = tmp.resolve("args.txt");
        Path bin = script("echo \"$@\" > '" + args + "'\necho 'llama-bench: loading' >&2\ncat '" + json + "'");
        Path gguf = model();
        List<PeerResult> rows = LlamaBench.run(bin, gguf, 3, 64, 128, 5, Duration.ofSeconds(30));
        assertThat(rows).extracting(PeerResult::test).containsExactly("pp64", "tg128");
        assertThat(Files.readString(args).strip())
                .isEqualTo("-m " + gguf.toAbsolutePath() + " -t 3 -p 64 -n 128 -r 5 -ngl 0 -o json");
        assertThat(LlamaBench.command(bin, gguf, 3, 0, 128, 1)).containsSubsequence("-p", "0", "-n", "128");
    }

    @Test
    void nonZeroExitReportsTheLastStderrLine() throws IOException {
        Path bin = script("""
                echo '['
                echo 'gguf_init_from_file_impl: failed to read header' >&2
                echo "main: error: failed to load model '$2'" >&2
                echo '' >&2
                exit 1""");
        Path gguf = model();
        assertThatThrownBy(() -> LlamaBench.run(bin, gguf, 2, 64, 128, 1, Duration.ofSeconds(30)))
                .isInstanceOf(LlamaBenchException.class)
                .hasMessage("llama-bench exited with code 1: main: error: failed to load model '" + gguf.toAbsolutePath() + "'");
        Path silent = script("exit 3");
        assertThatThrownBy(() -> LlamaBench.run(silent, gguf, 2, 64, 128, 1, Duration.ofSeconds(30)))
                .hasMessage("llama-bench exited with code 3: (no output)");
    }

    @Test
    void garbageOnStdoutIsUnparsable() throws IOException {
        Path bin = script("echo '| model | size | params |'");
        assertThatThrownBy(() -> LlamaBench.run(bin, model(), 2, 64, 128, 1, Duration.ofSeconds(30)))
                .hasMessage("llama-bench output is not JSON (is it an old llama-bench without -o json?); it starts: | model | size | params |");
    }

    @Test
    void aHungBinaryIsKilledAtTheTimeout() throws IOException {
        Path bin = script("sleep 60");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> LlamaBench.run(bin, model(), 2, 64, 128, 1, Duration.ofMillis(500)))
                .hasMessage("llama-bench did not finish within 0.5 s and was killed (raise the timeout, or lower -r/-p/-n)");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }

    // ---- the real thing, when a llama-bench is around (CI has none) ----

    @Test
    void realLlamaBenchOnStories260K() {
        Path bin = realLlamaBench();
        Path gguf = shared().resolve("models/stories260K/gguf/stories260K-f32.gguf");
        assumeThat(gguf).exists();
        LlamaBench.Report report = LlamaBench.runReport(bin, gguf, 2, 64, 128, 2, Duration.ofMinutes(2));
        assertThat(report.results()).extracting(PeerResult::test).containsExactly("pp64", "tg128");
        for (PeerResult r : report.results()) {
            assertThat(r.threads()).isEqualTo(2);
            assertThat(r.tokensPerSecond()).isPositive();
            assertThat(r.samples()).hasSize(2).allSatisfy(s -> assertThat(s).isPositive());
        }
        assertThat(report.modelType()).contains("F32");
        String table = LlamaBench.compare(Map.of("pp64", 1.0, "tg128", 1.0), report.results());
        assertThat(table).contains("| pp64 | 1.0 | ").contains("| tg128 | 1.0 | ");
    }

    @Test
    void realLlamaBenchRejectingABrokenGguf() throws IOException {
        Path bin = realLlamaBench();
        Path broken = Files.write(tmp.resolve("broken.gguf"), "GGUFjunk".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> LlamaBench.run(bin, broken, 2, 8, 4, 1, Duration.ofMinutes(1)))
                .isInstanceOf(LlamaBenchException.class)
                .hasMessageStartingWith("llama-bench exited with code 1: ")
                .hasMessageContaining("failed to load model");
    }

    // ---- helpers ----

    /** The llama-bench binary from -Dbackstop.llamaBench / -DbackstopLlamaBench or env LLAMA_BENCH; skips the test without one. */
    static Path realLlamaBench() {
        String p = System.getProperty("backstop.llamaBench");
        if (p == null || p.isBlank()) p = System.getProperty("backstopLlamaBench");
        if (p == null || p.isBlank()) p = System.getenv("LLAMA_BENCH");
        assumeThat(p).as("a llama-bench binary (env LLAMA_BENCH)").isNotBlank();
        Path bin = Path.of(p);
        assumeThat(Files.isExecutable(bin)).as("LLAMA_BENCH=%s is executable", bin).isTrue();
        return bin;
    }

    static Path shared() {
        return Path.of(System.getProperty("backstop.shared", "../shared"));
    }

    /** A file that passes the GGUF magic check (the stand-in scripts never read it). */
    private Path model() throws IOException {
        Path m = tmp.resolve("model.gguf");
        if (!Files.exists(m)) Files.write(m, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
        return m;
    }

    private Path script(String body) throws IOException {
        assumeThat(Path.of("/bin/sh")).as("a POSIX shell for stand-in binaries").exists();
        Path s = Files.createTempFile(tmp, "fake-llama-bench", ".sh");
        Files.writeString(s, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwxr-xr-x"));
        return s;
    }
}
