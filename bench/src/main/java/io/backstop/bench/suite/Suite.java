package io.backstop.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.decode.LoopVsJlama;
import io.backstop.bench.load.LoadBench;
import io.backstop.bench.load.LoadCommand;
import io.backstop.bench.model.ModelBenchCommand;
import io.backstop.bench.model.ModelRow;
import io.backstop.bench.peer.LlamaBench;
import io.backstop.bench.peer.PeerResult;
import io.backstop.bench.report.SvgChart;
import io.backstop.bench.synthetic.Shape;
import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.hub.ConsoleProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code backstop bench [--quick]}: the whole picture for one shape — memory bandwidth, pp/tg per dtype
 * and thread count against the bandwidth ceiling, our loop against Jlama's generate(), the server under
 * concurrent clients, and optionally llama.cpp beside us — as Markdown, JSON and SVG charts.
 */
public final class Suite {
    /** What to run. */
    public record Plan(Shape shape, List<String> dtypes, List<Integer> threads, List<Integer> pp, int tg, int reps,
                       int loopTokens, int loopReps, List<Integer> clients, int loadRequests, int loadTokens, int bandwidthMb,
                       Path cache, Path results, Path llamaBench, Path gguf, io.backstop.bench.kernels.KernelOptions kernels) {}

    private Suite() {}

    public static String run(Plan plan) throws Exception {
        long start = System.nanoTime();
        Files.createDirectories(plan.results());
        StringBuilder md = new StringBuilder("# Backstop benchmarks\n\n");
        md.append("Hardware: ").append(Hardware.oneLine()).append("  \nJVM flags: ")
                .append(Hardware.jvmFlags()).append("\n\n");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("hardware", Hardware.describe());
        json.put("shape", plan.shape());

        // 1. pp/tg with the ceiling, one child JVM per thread count (Jlama's pool is sized per process)
        Map<String, Path> dirs = new LinkedHashMap<>();
        for (String d : plan.dtypes()) {
            dirs.put(d, io.backstop.bench.synthetic.Synthetic.ensure(plan.shape(), d, plan.cache(), ConsoleProgress.toStderr()));
        }
        List<ModelRow> rows = new ArrayList<>();
        List<Map<String, Object>> bandwidth = new ArrayList<>();
        for (int t : plan.threads()) {
            Path out = Files.createTempFile("backstop-bench", ".json");
            List<String> args = new ArrayList<>(List.of("model", "--shape", plan.shape().name(), "--dtype", String.join(",", plan.dtypes()),
                    "--threads", Integer.toString(t), "--tg", Integer.toString(plan.tg()), "--reps", Integer.toString(plan.reps()),
                    "--bandwidth-mb", Integer.toString(plan.bandwidthMb()), "--cache", plan.cache().toString(), "--emit-json", out.toString(),
                    "--pp", String.join(",", plan.pp().stream().map(String::valueOf).toList())));
            System.err.println("bench: " + plan.shape().name() + " on " + t + " thread(s)…");
            ChildJvm.run(args);
            ModelBenchCommand.Emitted e = new ObjectMapper().readValue(out.toFile(), ModelBenchCommand.Emitted.class);
            Files.deleteIfExists(out);
            rows.addAll(e.rows());
            bandwidth.add(Map.of("threads", t, "read_GBps", e.bandwidth().readGBps(), "triad_GBps", e.bandwidth().triadGBps()));
            md.append(String.format(Locale.ROOT, "Memory bandwidth with %d thread(s): read %.1f GB/s, triad %.1f GB/s.  %n", t,
                    e.bandwidth().readGBps(), e.bandwidth().triadGBps()));
        }
        json.put("bandwidth", bandwidth);
        json.put("model", rows);
        md.append("\n## Prompt and decode tok/s (").append(plan.shape().name()).append(")\n\n").append(ModelBenchCommand.table(rows))
                .append("\nThe ceiling is read bandwidth ÷ bytes of weights read per token: no decoder can beat it on this machine.\n");
        Files.writeString(plan.results().resolve("decode-vs-ceiling.svg"), decodeChart(rows));

        // 2. the kernels under it all (JMH, in its own forked JVM)
        if (plan.kernels() != null) {
            System.err.println("bench: JMH kernels…");
            List<io.backstop.bench.kernels.KernelResult> kernels = io.backstop.bench.kernels.Kernels.run(plan.kernels());
            json.put("kernels", kernels);
            md.append("\n## Matrix kernels (JMH)\n\n").append(io.backstop.bench.kernels.Kernels.setup(plan.kernels(), kernels)).append("\n\n")
                    .append(io.backstop.bench.kernels.Kernels.table(kernels))
                    .append("\n\"WRONG\" marks Jlama 0.8.4's batched matmul skipping a corner block; the engine prefills in batch sizes it computes whole.\n");
        }

        // 3. our loop vs Jlama's generate(), and 3. the server under load: on the last Jlama dtype (the fastest, usually Q4)
        Path served = plan.dtypes().stream().filter(d -> io.backstop.bench.synthetic.SyntheticGguf.mix(d) == null)
                .reduce((a, b) -> b).map(dirs::get).orElseThrow(() -> new IllegalArgumentException("the suite needs one Jlama dtype (f32, bf16 or q4)"));
        try (Model m = Engine.load(served, LoadOptions.defaults().withConcurrency(1, 0))) {
            System.err.println("bench: our loop vs Jlama generate() on " + served.getFileName() + "…");
            LoopVsJlama.Result r = new LoopVsJlama(m).run("Once upon a time", plan.loopTokens(), 1, plan.loopReps());
            json.put("loop_vs_jlama", Map.of("model", served.getFileName().toString(), "ours_median", r.oursMedian(),
                    "jlama_median", r.jlamaMedian(), "ratio", r.ratio()));
            md.append(String.format(Locale.ROOT, "%n## Our generation loop vs Jlama's generate()%n%n| model | tokens × runs | Backstop tok/s | Jlama tok/s | ratio |%n"
                    + "|---|---|---|---|---|%n| %s | %d × %d | %.1f | %.1f | %.2f× |%n", served.getFileName(), plan.loopTokens(), plan.loopReps(),
                    r.oursMedian(), r.jlamaMedian(), r.ratio()));
        }
        System.err.println("bench: server overhead on " + served.getFileName() + "…");
        md.append("\n## Server overhead against the engine called directly\n\n").append(serverOverhead(served, plan, json));

        System.err.println("bench: server load on " + served.getFileName() + "…");
        List<LoadBench.Level> levels = LoadCommand.run(served, plan.clients(), plan.loadRequests(), plan.loadTokens());
        json.put("load", levels);
        md.append("\n## Server load\n\n").append(LoadCommand.table(served.getFileName().toString(), plan.loadTokens(), levels));
        Files.writeString(plan.results().resolve("load-throughput.svg"), SvgChart.lines("Server throughput under concurrent streaming clients",
                "clients", "aggregate tok/s", clientsAxis(levels),
                List.of(new SvgChart.Series("aggregate tok/s", levels.stream().map(LoadBench.Level::aggregateTokensPerSecond).toList()))));
        Files.writeString(plan.results().resolve("load-latency.svg"), SvgChart.lines("Time to first token under concurrent streaming clients",
                "clients", "ms", clientsAxis(levels), List.of(
                        new SvgChart.Series("TTFT p50", levels.stream().map(LoadBench.Level::ttftP50).toList()),
                        new SvgChart.Series("TTFT p95", levels.stream().map(LoadBench.Level::ttftP95).toList()),
                        new SvgChart.Series("inter-token p99", levels.stream().map(LoadBench.Level::itlP99).toList()))));

        // 5. llama.cpp beside us, when the user points at it
        if (plan.llamaBench() != null) {
            int t = plan.threads().get(plan.threads().size() - 1);
            List<PeerResult> peer = LlamaBench.run(plan.llamaBench(), plan.gguf(), t, plan.pp().get(0), plan.tg(), Math.max(2, plan.reps()),
                    java.time.Duration.ofMinutes(10));
            Map<String, Double> ours = new LinkedHashMap<>();
            String dtype = plan.dtypes().get(plan.dtypes().size() - 1);
            for (ModelRow row : rows) if (row.threads() == t && row.model().endsWith(dtype)) ours.put(row.test(), row.median());
            json.put("llama_cpp", peer);
            md.append("\n## llama.cpp beside us (").append(plan.gguf().getFileName()).append(", ").append(t).append(" threads)\n\n")
                    .append(LlamaBench.compare(ours, peer));
        }

        md.append(String.format(Locale.ROOT, "%nCharts: `decode-vs-ceiling.svg`, `load-throughput.svg`, `load-latency.svg`. Whole run: %.0f s.%n", (System.nanoTime() - start) / 1e9));
        Files.writeString(plan.results().resolve("summary.md"), md.toString());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(plan.results().resolve("summary.json").toFile(), json);
        return md.toString();
    }

    /** TTFT and decode tok/s of a streaming chat over HTTP against the same request on the engine. */
    private static String serverOverhead(Path served, Plan plan, Map<String, Object> json) throws Exception {
        try (var server = io.backstop.bench.server.LocalServer.start(served, 1, 4)) {
            var r = new io.backstop.bench.server.ServerOverhead(server.model(), server.baseUrl())
                    .run("Once upon a time", plan.loadTokens(), 1, plan.loopReps() + 8);
            List<Double> dT = r.direct().stream().map(io.backstop.bench.server.ServerOverhead.Sample::ttftMillis).toList();
            List<Double> hT = r.http().stream().map(io.backstop.bench.server.ServerOverhead.Sample::ttftMillis).toList();
            List<Double> dS = r.direct().stream().map(io.backstop.bench.server.ServerOverhead.Sample::decodeTokensPerSecond).toList();
            List<Double> hS = r.http().stream().map(io.backstop.bench.server.ServerOverhead.Sample::decodeTokensPerSecond).toList();
            double added = io.backstop.bench.Stats.median(hT) - io.backstop.bench.Stats.median(dT);
            double ratio = io.backstop.bench.Stats.median(hS) / io.backstop.bench.Stats.median(dS);
            json.put("server_overhead", Map.of("ttft_added_ms_p50", added, "decode_ratio", ratio, "requests", dT.size()));
            return String.format(Locale.ROOT, "| model | tokens × requests | TTFT direct p50 | TTFT over HTTP p50 | added | decode direct | decode over HTTP | ratio |%n"
                    + "|---|---|---|---|---|---|---|---|%n| %s | %d × %d | %.1f ms | %.1f ms | %.1f ms | %.1f tok/s | %.1f tok/s | %.2f× |%n",
                    served.getFileName(), plan.loadTokens(), dT.size(), io.backstop.bench.Stats.median(dT), io.backstop.bench.Stats.median(hT), added,
                    io.backstop.bench.Stats.median(dS), io.backstop.bench.Stats.median(hS), ratio);
        }
    }

    private static String decodeChart(List<ModelRow> rows) {
        List<String> categories = new ArrayList<>();
        List<Double> measured = new ArrayList<>();
        List<Double> ceiling = new ArrayList<>();
        for (ModelRow r : rows) {
            if (!r.test().startsWith("tg")) continue;
            categories.add(r.dtype() + " · " + r.threads() + "t");
            measured.add(r.median());
            ceiling.add(r.ceiling());
        }
        return SvgChart.bars("Decode tok/s against the memory-bandwidth ceiling", "tok/s", categories,
                List.of(new SvgChart.Series("measured", measured), new SvgChart.Series("ceiling", ceiling)));
    }

    private static List<Double> clientsAxis(List<LoadBench.Level> levels) {
        return levels.stream().map(l -> (double) l.clients()).toList();
    }
}
