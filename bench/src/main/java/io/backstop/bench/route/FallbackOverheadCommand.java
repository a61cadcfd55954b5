package io.backstop.bench.route;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.Stats;
import io.backstop.bench.server.LocalServer;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RouteConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop bench fallback-overhead}: what a dead provider with an open breaker adds before the local answer. */
@Command(name = "fallback-overhead", mixinStandardHelpOptions = true,
        description = "Latency of a route falling back from a down provider (breaker open) vs the local model called directly.")
public final class FallbackOverheadCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Local model directory.")
    Path model;

    @Option(names = "--tokens", defaultValue = "1", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--reps", defaultValue = "200", description = "Requests per side (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--smoke", description = "A few requests: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // nothing listens here once closed: connection refused
        }
        ProviderConfig down = new ProviderConfig("down", URI.create("http://127.0.0.1:" + closedPort + "/v1"), null,
                Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5),
                new ProviderConfig.RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(10)),
                new ProviderConfig.BreakerPolicy(50, 10, 10, 1, Duration.ofHours(1), 1), false);
        RouteConfig route = new RouteConfig("fallback", List.of(new RouteConfig.Target("down", "any", null, null),
                new RouteConfig.Target("local", LocalServer.MODEL, null, null)));
        try (LocalServer server = LocalServer.start(model, List.of(down), List.of(route))) {
            FallbackOverhead bench = new FallbackOverhead(server.baseUrl());
            bench.time("fallback", tokens); // one refused connection opens the breaker (consecutive_failures 1)
            if (server.routes().provider("down").guard().state() != CircuitBreaker.State.OPEN) throw new IllegalStateException("breaker did not open");
            FallbackOverhead.Result r = bench.run("fallback", LocalServer.MODEL, tokens, smoke ? 0 : 20, smoke ? 3 : reps);
            List<Double> added = r.addedMillis();
            String table = String.format(Locale.ROOT, """
                    | model | tokens | requests | local p50 / p99 (ms) | route with open breaker p50 / p99 (ms) | added at p50 / p99 (ms) | pairwise difference p50 / p99 (ms) |
                    |---|---|---|---|---|---|---|
                    | %s | %d | %d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |
                    """, model.toAbsolutePath().normalize().getFileName(), tokens, added.size(),
                    Stats.median(r.localMillis()), Stats.percentile(r.localMillis(), 99),
                    Stats.median(r.routeMillis()), Stats.percentile(r.routeMillis(), 99),
                    Stats.median(r.routeMillis()) - Stats.median(r.localMillis()),
                    Stats.percentile(r.routeMillis(), 99) - Stats.percentile(r.localMillis(), 99),
                    Stats.median(added), Stats.percentile(added, 99));
            System.out.println("Hardware: " + Hardware.oneLine());
            System.out.print(table);
            if (!smoke) {
                Path results = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
                Files.createDirectories(results);
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("benchmark", "fallback-overhead");
                json.put("hardware", Hardware.describe());
                json.put("model", model.toAbsolutePath().normalize().getFileName().toString());
                json.put("tokens_per_request", tokens);
                json.put("local_ms", r.localMillis());
                json.put("route_ms", r.routeMillis());
                json.put("added_ms_p50", Stats.median(r.routeMillis()) - Stats.median(r.localMillis()));
                json.put("added_ms_p99", Stats.percentile(r.routeMillis(), 99) - Stats.percentile(r.localMillis(), 99));
                json.put("pairwise_difference_ms_p50", Stats.median(added));
                json.put("pairwise_difference_ms_p99", Stats.percentile(added, 99));
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(results.resolve("fallback-overhead.json").toFile(), json);
                Files.writeString(results.resolve("fallback-overhead.md"), "Hardware: " + Hardware.oneLine() + "\n\n" + table);
                System.err.println("bench: wrote " + results.resolve("fallback-overhead.json") + " and .md");
            }
        }
        return 0;
    }
}
