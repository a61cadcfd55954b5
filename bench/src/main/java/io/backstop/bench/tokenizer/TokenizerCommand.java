package io.backstop.bench.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.Stats;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.tokenizer.GgufTokenizer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code backstop bench tokenizer}: how long a GGUF vocabulary takes to load (reading the file's metadata,
 * then building the tokenizer: token index, merge table, special tokens) and how fast it encodes text.
 * The first load of each file is what a server start pays (cold JIT); later ones show the steady cost.
 * Thread CPU time is reported beside wall time: on a shared machine it is the steadier of the two.
 */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "GGUF tokenizer load time (first and median) and encoding throughput, per vocabulary file.")
public final class TokenizerCommand implements Callable<Integer> {
    private static final String SAMPLE = """
            The quick brown fox jumps over the lazy dog. It's 3:45 PM and the temperature is 21.5°C; \
            we'll see what happens next. Café, naïve, façade — “quotes” and ‘apostrophes’.
            def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n
            我想在apple工作1314151天～ нещо на Български 🚀 (normal) 😶‍🌫️ ✅ 🦙🦙 3 33 333 3333
            """;

    @Option(names = "--gguf", required = true, split = ",", paramLabel = "FILE", description = "GGUF files (a vocabulary-only file is enough).")
    List<Path> files;

    @Option(names = "--text", paramLabel = "FILE", description = "Text to encode (default: a mixed sample of prose, code, CJK and emoji, ~64 KB).")
    Path text;

    @Option(names = "--reps", defaultValue = "5", description = "Loads and encodings per file after the first (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--smoke", description = "One repetition: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    /** One file's figures. */
    record Row(String file, String model, int tokens, int merges, double firstReadMs, double firstBuildMs, double firstBuildCpuMs,
               double readMs, double buildMs, double buildCpuMs, int textTokens, double encodeMbPerS, double encodeTokPerS, double encodeCpuMbPerS) {}

    @Override
    public Integer call() throws Exception {
        String input = text != null ? Files.readString(text) : SAMPLE.repeat(64 * 1024 / SAMPLE.length() + 1);
        int n = smoke ? 1 : Math.max(1, reps);
        List<Row> rows = new ArrayList<>();
        for (Path f : files) rows.add(measure(f, input, n));
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "| vocabulary | tokenizer | tokens | merges | first load: read + build (build CPU) ms | later loads: read + build (build CPU) ms, median of %d | encode %.0f KB → tokens | MB/s | tok/s | MB/s of CPU |%n|---|---|---|---|---|---|---|---|---|---|%n",
                n, input.getBytes(StandardCharsets.UTF_8).length / 1024.0));
        for (Row r : rows) {
            table.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.0f + %.0f (%.0f) | %.0f + %.0f (%.0f) | %d | %.1f | %.0f | %.1f |%n",
                    r.file(), r.model(), r.tokens(), r.merges(), r.firstReadMs(), r.firstBuildMs(), r.firstBuildCpuMs(), r.readMs(), r.buildMs(),
                    r.buildCpuMs(), r.textTokens(), r.encodeMbPerS(), r.encodeTokPerS(), r.encodeCpuMbPerS()));
        }
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.print(table);
        if (!smoke) {
            Path results = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
            Files.createDirectories(results);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("benchmark", "tokenizer");
            json.put("hardware", Hardware.describe());
            json.put("rows", rows);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(results.resolve("tokenizer.json").toFile(), json);
            Files.writeString(results.resolve("tokenizer.md"), "Hardware: " + Hardware.oneLine() + "\n\n" + table);
            System.err.println("bench: wrote " + results.resolve("tokenizer.json") + " and .md");
        }
        return 0;
    }

    private static Row measure(Path file, String input, int reps) {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<Double> read = new ArrayList<>(), build = new ArrayList<>(), buildCpu = new ArrayList<>();
        GgufTokenizer tokenizer = null;
        String model = "";
        int merges = 0;
        for (int i = 0; i <= reps; i++) {
            long t0 = System.nanoTime();
            try (GgufFile f = GgufFile.open(file)) {
                long t1 = System.nanoTime();
                long c1 = cpu.getCurrentThreadCpuTime();
                tokenizer = GgufTokenizer.from(f.metadata());
                long t2 = System.nanoTime();
                buildCpu.add((cpu.getCurrentThreadCpuTime() - c1) / 1e6);
                read.add((t1 - t0) / 1e6);
                build.add((t2 - t1) / 1e6);
                model = f.metadata().string("tokenizer.ggml.model", "?") + (f.metadata().has("tokenizer.ggml.pre") ? " / " + f.metadata().string("tokenizer.ggml.pre") : "");
                merges = f.metadata().has("tokenizer.ggml.merges") ? f.metadata().strings("tokenizer.ggml.merges").length : 0;
            }
        }
        int tokens = 0;
        List<Double> encodeSeconds = new ArrayList<>(), encodeCpuSeconds = new ArrayList<>();
        for (int i = 0; i <= reps; i++) {
            long t0 = System.nanoTime();
            long c0 = cpu.getCurrentThreadCpuTime();
            tokens = tokenizer.encode(input, false).length;
            if (i > 0 || reps == 1) { // the first encoding warms the word cache and the JIT
                encodeSeconds.add((System.nanoTime() - t0) / 1e9);
                encodeCpuSeconds.add((cpu.getCurrentThreadCpuTime() - c0) / 1e9);
            }
        }
        double mb = input.getBytes(StandardCharsets.UTF_8).length / 1e6;
        double seconds = Stats.median(encodeSeconds);
        return new Row(file.getFileName().toString(), model, tokenizer.vocabulary().size(), merges, read.getFirst(), build.getFirst(), buildCpu.getFirst(),
                Stats.median(read.subList(1, read.size())), Stats.median(build.subList(1, build.size())), Stats.median(buildCpu.subList(1, buildCpu.size())),
                tokens, mb / seconds, tokens / seconds, mb / Stats.median(encodeCpuSeconds));
    }
}
