package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every benchmark command runs one short smoke iteration (so none can rot) and prints its table. */
class BenchCommandsSmokeTest {
    private static final String STORIES = Path.of(System.getProperty("backstop.shared", "../shared"), "models/stories260K/hf").toString();

    @TempDir
    Path tmp;

    private String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new BenchMain()).execute(args);
            assertThat(code).as(String.join(" ", args)).isZero();
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void loopVsJlama() {
        assertThat(run("loop-vs-jlama", "--smoke", "--cache", tmp.toString())).contains("Backstop loop tok/s").contains("Hardware:");
    }

    @Test
    void grammar() {
        String out = run("grammar", "--smoke", "--cache", tmp.toString());
        assertThat(out).contains("mask p50 µs").contains("synthetic-4096").contains("constrained tok/s");
        assertThat(out).doesNotContain("| 0/2 |"); // the simulated documents complete
    }

    @Test
    void theWholeSuite() {
        String out = run("--smoke", "--cache", tmp.resolve("models").toString(), "--out", tmp.resolve("results").toString());
        assertThat(out).contains("Memory bandwidth").contains("tg8").contains("Jlama's generate()").contains("Server load").contains("Server overhead");
        assertThat(tmp.resolve("results/summary.md")).exists();
        assertThat(tmp.resolve("results/summary.json")).exists();
        assertThat(tmp.resolve("results/decode-vs-ceiling.svg")).content().startsWith("<svg");
        assertThat(tmp.resolve("results/load-throughput.svg")).content().contains("polyline");
        assertThat(tmp.resolve("results/load-latency.svg")).content().contains("TTFT p95");
    }

    @Test
    void modelBenchmarkOnARealModelDirectory() {
        assertThat(run("model", "--model", STORIES, "--pp", "16", "--tg", "8", "--reps", "1", "--bandwidth-mb", "32"))
                .contains("| pp16 |").contains("| tg8 |").contains("ceiling");
    }

    @Test
    void modelBenchmarkRunsTheNativeEngineBesideJlamaAlternately() {
        assertThat(run("model", "--shape", "llama-tiny", "--dtype", "q4,q4_0,q8_0", "--pp", "16", "--tg", "8", "--reps", "2",
                "--bandwidth-mb", "32", "--cache", tmp.toString()))
                .contains("| llama-tiny-q4 | jlama | Q4 |").contains("| llama-tiny-q4_0.gguf | native | Q4_0 |")
                .contains("| llama-tiny-q8_0.gguf | native | Q8_0 |").contains("| tg8 |");
    }

    @Test
    void load() {
        assertThat(run("load", "--model", STORIES, "--clients", "1,2", "--requests", "1", "--tokens", "4")).contains("| 2 | 2 | 0 |");
    }

    @Test
    void serverOverhead() {
        assertThat(run("server-overhead", "--model", STORIES, "--smoke")).contains("TTFT direct p50");
    }

    @Test
    void fallbackOverhead() {
        assertThat(run("fallback-overhead", "--model", STORIES, "--smoke"))
                .contains("429 + Retry-After 10").contains("hang (no response headers)").contains("stall mid-body").contains("refused, breaker open");
    }
}
