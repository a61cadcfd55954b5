package io.backstop.bench.load;

import io.backstop.bench.Hardware;
import io.backstop.bench.server.LocalServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop bench load}: the real server on loopback under 1, 2, 4, 8 concurrent streaming clients. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Aggregate tok/s, time to first token and inter-token latency of the server under concurrent streaming clients.")
public final class LoadCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--clients", split = ",", defaultValue = "1,2,4,8", description = "Concurrency levels (default: ${DEFAULT-VALUE}).")
    List<Integer> clients;

    @Option(names = "--requests", defaultValue = "2", description = "Requests per client per level (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--tokens", defaultValue = "64", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Override
    public Integer call() throws Exception {
        List<LoadBench.Level> levels = run(model, clients, requests, tokens);
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.print(table(model.getFileName().toString(), tokens, levels));
        return 0;
    }

    /** Starts the server with room for every client at once, runs each level, stops. */
    public static List<LoadBench.Level> run(Path model, List<Integer> clients, int requests, int tokens) throws Exception {
        int max = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
        List<LoadBench.Level> levels = new ArrayList<>();
        try (LocalServer server = LocalServer.start(model, max, max)) {
            LoadBench bench = new LoadBench(server.baseUrl(), LocalServer.MODEL);
            bench.run(1, 1, Math.min(tokens, 8)); // warm-up
            for (int c : clients) levels.add(bench.run(c, requests, tokens));
        }
        return levels;
    }

    public static String table(String model, int tokens, List<LoadBench.Level> levels) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "Server load, %s, %d tokens per streamed request:%n%n", model, tokens));
        sb.append("| clients | requests | errors | aggregate tok/s | TTFT p50 / p95 / p99 (ms) | inter-token p50 / p99 (ms) |\n|---|---|---|---|---|---|\n");
        for (LoadBench.Level l : levels) {
            sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.1f | %.0f / %.0f / %.0f | %.1f / %.1f |%n", l.clients(), l.requests(), l.errors(),
                    l.aggregateTokensPerSecond(), l.ttftP50(), l.ttftP95(), l.ttftP99(), l.itlP50(), l.itlP99()));
        }
        return sb.toString();
    }
}
