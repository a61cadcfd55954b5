package io.backstop.bench.load;

import io.backstop.bench.Hardware;
import io.backstop.bench.server.LocalServer;
import io.backstop.bench.synthetic.SyntheticGguf;
import io.backstop.engine.schedule.JitBacklog;
import io.backstop.engine.schedule.SchedulerStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code backstop bench load}: concurrent streaming clients against the real server on loopback (a model
 * folder, a GGUF file, or a synthetic GGUF shape), or against any OpenAI-compatible server ({@code --url},
 * e.g. llama-server on the same GGUF file).
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Aggregate tok/s, time to first token and inter-token latency of a server under concurrent streaming clients.")
public final class LoadCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "PATH", description = "Model folder or GGUF file to serve (default: the synthetic --shape).")
    Path model;

    @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "Synthetic GGUF shape when no --model or --url (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--dtype", defaultValue = "q4_0", description = "Quantization of the synthetic GGUF: f16, q8_0, q4_0, q4_k_m (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--cache", paramLabel = "DIR", description = "Synthetic model cache (default: <backstop>/bench/models).")
    Path cache;

    @Option(names = "--url", paramLabel = "URL", description = "Measure this OpenAI-compatible server instead of starting ours (e.g. http://127.0.0.1:8080 for llama-server).")
    String url;

    @Option(names = "--served-model", defaultValue = "bench", description = "Model name sent to --url (default: ${DEFAULT-VALUE}).")
    String servedModel;

    @Option(names = "--clients", split = ",", defaultValue = "1,2,4,8", description = "Concurrency levels (default: ${DEFAULT-VALUE}).")
    List<Integer> clients;

    @Option(names = "--requests", defaultValue = "2", description = "Requests per client per level (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--tokens", defaultValue = "64", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--max-in-flight", description = "Our server's max_in_flight (default: the largest --clients).")
    Integer maxInFlight;

    @Option(names = "--prefix-words", defaultValue = "0",
            description = "Also measure the prompt cache: TTFT of a prompt of this many words, then of another sharing all but its last word (default: ${DEFAULT-VALUE} = skip).")
    int prefixWords;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || tokens < 1 || clients.stream().anyMatch(c -> c < 1)) throw new ParameterException(spec.commandLine(), "--clients, --requests and --tokens must be at least 1");
        String label;
        List<LoadBench.Level> levels;
        double[] prefix;
        List<StepTimes> stepTimes = new ArrayList<>();
        int max = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
        if (url != null) {
            label = url;
            LoadBench bench = new LoadBench(url.replaceAll("/+$", "").replaceAll("/v1$", ""), servedModel);
            levels = levels(bench, clients, requests, tokens);
            prefix = prefixWords > 0 ? prefixTtft(bench, prefixWords) : null;
        } else {
            Path served = model != null ? model : synthetic();
            label = served.getFileName().toString();
            try (LocalServer server = LocalServer.start(served, maxInFlight != null ? maxInFlight : max, Math.max(32, max))) {
                LoadBench bench = new LoadBench(server.baseUrl(), LocalServer.MODEL);
                Supplier<SchedulerStats> stats = () -> server.model().schedulerStats();
                levels = levels(bench, clients, requests, tokens, stats.get() != null ? stats : null, stepTimes);
                prefix = prefixWords > 0 ? prefixTtft(bench, prefixWords) : null;
            }
        }
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.print(table(label, tokens, levels));
        if (!stepTimes.isEmpty()) {
            System.out.printf("%nOur step thread in the same levels (forward passes, its own work around them, waiting for requests):%n%n");
            System.out.print(StepTimes.table(stepTimes));
        }
        if (prefix != null) {
            System.out.printf(Locale.ROOT, "%nPrompt cache: a %d-word prompt, TTFT %.0f ms; then one sharing all but its last word, TTFT %.0f ms (%.0f %%)%n",
                    prefixWords, prefix[0], prefix[1], 100 * prefix[1] / prefix[0]);
        }
        return 0;
    }

    private Path synthetic() throws Exception {
        try {
            return SyntheticGguf.ensureNamed(shape, dtype, cache);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Starts the server with room for every client at once, runs each level, stops. */
    public static List<LoadBench.Level> run(Path model, List<Integer> clients, int requests, int tokens) throws Exception {
        int max = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
        try (LocalServer server = LocalServer.start(model, max, max)) {
            return levels(new LoadBench(server.baseUrl(), LocalServer.MODEL), clients, requests, tokens);
        }
    }

    private static List<LoadBench.Level> levels(LoadBench bench, List<Integer> clients, int requests, int tokens) throws Exception {
        return levels(bench, clients, requests, tokens, null, new ArrayList<>());
    }

    /** With {@code stats} (our server with continuous batching), each level's {@link StepTimes} go to {@code stepTimes}. */
    private static List<LoadBench.Level> levels(LoadBench bench, List<Integer> clients, int requests, int tokens,
                                                Supplier<SchedulerStats> stats, List<StepTimes> stepTimes) throws Exception {
        List<LoadBench.Level> levels = new ArrayList<>();
        // warm-up at one and at the most clients, so the JIT has compiled the batched paths (several rows per
        // step) before a level is timed, and both servers hold the prompt in their cache
        int most = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
        long start = System.nanoTime();
        bench.run(1, 1, Math.min(tokens, 8));
        if (most > 1) bench.run(most, 1, Math.min(tokens, 16));
        // our server runs in this JVM: let C2 finish what the warm-ups queued, or the first level shares the cores with it
        if (stats != null) JitBacklog.awaitEngine();
        progress("warm-up", start);
        for (int c : clients) {
            SchedulerStats before = stats == null ? null : stats.get();
            start = System.nanoTime();
            levels.add(bench.run(c, requests, tokens));
            if (stats != null) stepTimes.add(StepTimes.between(c, before, stats.get(), System.nanoTime() - start));
            progress(c + (c == 1 ? " client" : " clients"), start);
        }
        return levels;
    }

    /** A line per level on stderr: a long run shows where it is. */
    private static void progress(String what, long startNanos) {
        System.err.printf(Locale.ROOT, "load: %s done in %.1f s%n", what, (System.nanoTime() - startNanos) / 1e9);
    }

    /** TTFT of a long prompt, then of one that shares all of it but the last word (the second can start from cached KV). */
    private static double[] prefixTtft(LoadBench bench, int words) {
        StringBuilder p = new StringBuilder("Once upon a time");
        for (int i = 0; i < words; i++) p.append(' ').append(WORDS[(i * 7 + 3) % WORDS.length]);
        String shared = p.toString();
        double first = bench.ttft(shared + " alpha", 8);
        double second = bench.ttft(shared + " omega", 8);
        return new double[] {first, second};
    }

    private static final String[] WORDS = {"the", "little", "dog", "ran", "to", "park", "and", "saw", "a", "big", "red", "ball", "under", "tree", "with", "his", "friend"};

    public static String table(String model, int tokens, List<LoadBench.Level> levels) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Server load, %s, %d tokens per streamed request:%n%n", model, tokens));
        sb.append("| clients | requests | errors | aggregate tok/s | TTFT p50 / p95 / p99 (ms) | inter-token p50 / p99 (ms) |\n|---|---|---|---|---|---|\n");
        for (LoadBench.Level l : levels) {
            sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.1f | %.0f / %.0f / %.0f | %.1f / %.1f |%n", l.clients(), l.requests(), l.errors(),
                    l.aggregateTokensPerSecond(), l.ttftP50(), l.ttftP95(), l.ttftP99(), l.itlP50(), l.itlP99()));
        }
        StringBuilder errors = new StringBuilder();
        for (LoadBench.Level l : levels) {
            if (l.errors() == 0) continue;
            StringJoiner why = new StringJoiner("; ");
            l.errorReasons().forEach((reason, count) -> why.add(count + " × " + reason));
            errors.append(String.format(Locale.ROOT, "Errors at %d client%s: %s%n", l.clients(), l.clients() == 1 ? "" : "s", why));
        }
        if (!errors.isEmpty()) sb.append(String.format("%n")).append(errors);
        return sb.toString();
    }
}
