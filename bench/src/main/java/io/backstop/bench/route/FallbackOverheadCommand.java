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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code backstop bench fallback-overhead}: what a misbehaving provider adds before the local model's
 * answer, per fault, against the local model called directly: 429 and 503 with Retry-After 10 (not
 * waited for: the provider cools down), a provider that hangs and one that stalls mid-body (the hedge
 * starts the local model after fallback_after_ms), and a refused connection with the breaker open.
 */
@Command(name = "fallback-overhead", mixinStandardHelpOptions = true,
        description = "Time to first token of a route whose provider fails (429/503 + Retry-After 10, hang, stall mid-body, "
                + "refused with the breaker open) vs the local model called directly.")
public final class FallbackOverheadCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Local model directory.")
    Path model;

    @Option(names = "--tokens", defaultValue = "8", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--reps", defaultValue = "50", description = "Requests per side and fault (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--fallback-after-ms", defaultValue = "500", paramLabel = "MS",
            description = "The routes' fallback_after_ms (default: ${DEFAULT-VALUE}; the server's default is 2000).")
    int fallbackAfterMs;

    @Option(names = "--smoke", description = "A few requests per fault: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    /** One measured fault: its route, how requests are timed, and the added latency it may cost. */
    private record Scenario(String label, String route, boolean stream, double targetMillis) {}

    @Override
    public Integer call() throws Exception {
        if (fallbackAfterMs < 1) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--fallback-after-ms must be at least 1");
        Duration hedge = Duration.ofMillis(smoke ? Math.min(fallbackAfterMs, 200) : fallbackAfterMs);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // nothing listens here once closed: connection refused
        }
        try (FaultServer tooMany = new FaultServer(FaultServer.Fault.TOO_MANY_REQUESTS);
             FaultServer unavailable = new FaultServer(FaultServer.Fault.UNAVAILABLE);
             FaultServer hang = new FaultServer(FaultServer.Fault.HANG);
             FaultServer stall = new FaultServer(FaultServer.Fault.STALL_MID_BODY)) {
            List<ProviderConfig> providers = List.of(provider("p429", tooMany.baseUrl(), 5), provider("p503", unavailable.baseUrl(), 5),
                    provider("hang", hang.baseUrl(), 5), provider("stall", stall.baseUrl(), 5),
                    provider("down", "http://127.0.0.1:" + closedPort + "/v1", 1));
            List<RouteConfig> routes = new ArrayList<>();
            for (ProviderConfig p : providers) {
                // no hedge for the refused provider: its breaker must open on the first call, not lose a race to a cold start
                routes.add(new RouteConfig("via-" + p.name(), List.of(new RouteConfig.Target(p.name(), "any", null, null),
                        new RouteConfig.Target("local", LocalServer.MODEL, null, null)), p.name().equals("down") ? null : hedge,
                        RouteConfig.DEFAULT_MAX_RETRY_WAIT));
            }
            double hedgeTarget = hedge.toMillis() + 50;
            List<Scenario> scenarios = List.of(
                    new Scenario("429 + Retry-After 10", "via-p429", true, 50),
                    new Scenario("503 + Retry-After 10", "via-p503", true, 50),
                    new Scenario("hang (no response headers)", "via-hang", true, hedgeTarget),
                    new Scenario("stall mid-body (stream opened, no content)", "via-stall", true, hedgeTarget),
                    new Scenario("stall mid-body (non-streaming, whole answer)", "via-stall", false, hedgeTarget),
                    new Scenario("refused, breaker open", "via-down", true, 50));
            try (LocalServer server = LocalServer.start(model, providers, routes)) {
                FallbackOverhead bench = new FallbackOverhead(server.baseUrl());
                bench.time("via-down", true, tokens); // one refused connection opens the breaker (consecutive_failures 1)
                if (server.routes().provider("down").guard().state() != CircuitBreaker.State.OPEN) throw new IllegalStateException("breaker did not open");
                StringBuilder table = new StringBuilder("""
                        | provider fault | requests | local p50 / p99 (ms) | route p50 / p99 (ms) | added at p50 / p99 (ms) | pairwise added p50 / p99 (ms) | target | met at p50 / p99 |
                        |---|---|---|---|---|---|---|---|
                        """);
                List<Map<String, Object>> json = new ArrayList<>();
                for (Scenario s : scenarios) {
                    FallbackOverhead.Result r = bench.run(s.route(), LocalServer.MODEL, s.stream(), tokens, smoke ? 1 : 5, smoke ? 3 : reps);
                    double addedP50 = Stats.median(r.routeMillis()) - Stats.median(r.localMillis());
                    double addedP99 = Stats.percentile(r.routeMillis(), 99) - Stats.percentile(r.localMillis(), 99);
                    List<Double> pairs = r.addedMillis();
                    table.append(String.format(Locale.ROOT, "| %s | %d | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f | ≤ %.0f ms | %s |%n",
                            s.label(), pairs.size(), Stats.median(r.localMillis()), Stats.percentile(r.localMillis(), 99),
                            Stats.median(r.routeMillis()), Stats.percentile(r.routeMillis(), 99), addedP50, addedP99,
                            Stats.median(pairs), Stats.percentile(pairs, 99), s.targetMillis(),
                            (addedP50 <= s.targetMillis() ? "yes" : "no") + " / " + (addedP99 <= s.targetMillis() ? "yes" : "no")));
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("fault", s.label());
                    row.put("streaming", s.stream());
                    row.put("local_ms", r.localMillis());
                    row.put("route_ms", r.routeMillis());
                    row.put("added_ms_p50", addedP50);
                    row.put("added_ms_p99", addedP99);
                    row.put("pairwise_added_ms_p50", Stats.median(pairs));
                    row.put("pairwise_added_ms_p99", Stats.percentile(pairs, 99));
                    row.put("target_ms", s.targetMillis());
                    json.add(row);
                }
                String header = String.format(Locale.ROOT, "Hardware: %s%nModel: %s, %d tokens per request; fallback_after_ms %d; "
                                + "streams timed to their first content, the non-streaming row to the whole answer.%n%n",
                        Hardware.oneLine(), modelName(), tokens, hedge.toMillis());
                System.out.print(header + table);
                System.out.printf(Locale.ROOT, "provider calls: 429 %d, 503 %d, hang %d, stall %d%n", tooMany.calls(), unavailable.calls(), hang.calls(), stall.calls());
                if (!smoke) write(header + table, json, hedge);
            }
        }
        return 0;
    }

    /** The model folder's name, or its parent's for a Hugging Face snapshot folder such as stories260K/hf. */
    private String modelName() {
        Path p = model.toAbsolutePath().normalize();
        return p.getFileName().toString().equals("hf") && p.getParent() != null ? p.getParent().getFileName().toString() : p.getFileName().toString();
    }

    /** Defaults (30 s first byte and idle, 3 attempts) so the hedge, not a timeout, decides. */
    private static ProviderConfig provider(String name, String url, int consecutiveFailures) {
        ProviderConfig d = ProviderConfig.of(name, URI.create(url), null);
        return new ProviderConfig(name, d.baseUrl(), null, d.connectTimeout(), d.firstByteTimeout(), d.idleTimeout(), d.deadline(), d.retry(),
                new ProviderConfig.BreakerPolicy(50, 10, 10, consecutiveFailures, Duration.ofHours(1), 1), false);
    }

    private void write(String markdown, List<Map<String, Object>> rows, Duration hedge) throws Exception {
        Path results = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
        Files.createDirectories(results);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "fallback-overhead");
        json.put("hardware", Hardware.describe());
        json.put("model", modelName());
        json.put("tokens_per_request", tokens);
        json.put("fallback_after_ms", hedge.toMillis());
        json.put("faults", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(results.resolve("fallback-overhead.json").toFile(), json);
        Files.writeString(results.resolve("fallback-overhead.md"), markdown);
        System.err.println("bench: wrote " + results.resolve("fallback-overhead.json") + " and .md");
    }
}
