package io.backstop.bench.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.Stats;
import io.backstop.engine.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop bench server-overhead}: what the HTTP layer adds to the engine, per request and per token. */
@Command(name = "server-overhead", mixinStandardHelpOptions = true,
        description = {"Time to first token and decode tok/s of a streaming chat over HTTP vs the engine called directly."})
public final class ServerOverheadCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (e.g. ../shared/models/stories260K/hf).")
    Path model;

    @Option(names = "--tokens", defaultValue = "128", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--reps", defaultValue = "30", description = "Requests per side (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmups", defaultValue = "5", description = "Untimed requests per side first (default: ${DEFAULT-VALUE}).")
    int warmups;

    @Option(names = "--prompt", defaultValue = "Once upon a time", description = "Prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--smoke", description = "A couple of short requests: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Option(names = "--observe", paramLabel = "MODE", defaultValue = "default",
            description = {"Observability while measured: default (metrics on, access log off), off, all (metrics, tracing and the access",
                    "log on), or compare (off, then all, on the same model: the overhead of observability; default: ${DEFAULT-VALUE})."})
    String observe;

    @Override
    public Integer call() throws Exception {
        List<LocalServer.Observe> modes = switch (observe) {
            case "default" -> List.of(LocalServer.Observe.DEFAULT);
            case "off" -> List.of(LocalServer.Observe.OFF);
            case "all" -> List.of(LocalServer.Observe.ALL);
            case "compare" -> List.of(LocalServer.Observe.OFF, LocalServer.Observe.ALL);
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--observe must be default, off, all or compare, got '" + observe + "'");
        };
        int n = smoke ? 8 : tokens;
        StringBuilder table = new StringBuilder("""
                | model | observability | tokens | requests | TTFT direct p50 (ms) | TTFT HTTP p50 (ms) | overhead p50 / p95 (ms) | decode direct (tok/s) | decode HTTP (tok/s) | ratio |
                |---|---|---|---|---|---|---|---|---|---|
                """);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "server-overhead");
        json.put("hardware", Hardware.describe());
        json.put("tokens_per_request", n);
        Map<String, Double> overheadP50 = new LinkedHashMap<>();
        String modelName = null;
        for (LocalServer.Observe mode : modes) {
            try (LocalServer server = LocalServer.start(model, 1, 4, mode)) {
                Model m = server.model();
                modelName = m.info().path().getFileName().toString();
                ServerOverhead.Result r = new ServerOverhead(m, server.baseUrl()).run(prompt, n, smoke ? 0 : warmups, smoke ? 2 : reps);
                List<Double> dT = r.direct().stream().map(ServerOverhead.Sample::ttftMillis).toList();
                List<Double> hT = r.http().stream().map(ServerOverhead.Sample::ttftMillis).toList();
                List<Double> overhead = new java.util.ArrayList<>();
                for (int i = 0; i < dT.size(); i++) overhead.add(hT.get(i) - dT.get(i));
                List<Double> dS = r.direct().stream().map(ServerOverhead.Sample::decodeTokensPerSecond).toList();
                List<Double> hS = r.http().stream().map(ServerOverhead.Sample::decodeTokensPerSecond).toList();
                String label = mode.name().toLowerCase(Locale.ROOT);
                table.append(String.format(Locale.ROOT, "| %s %s | %s | %d | %d | %.2f | %.2f | %.2f / %.2f | %.1f | %.1f | %.2f× |%n",
                        modelName, m.info().dtype(), label, n, dT.size(), Stats.median(dT), Stats.median(hT),
                        Stats.median(overhead), Stats.percentile(overhead, 95), Stats.median(dS), Stats.median(hS), Stats.median(hS) / Stats.median(dS)));
                overheadP50.put(label, Stats.median(overhead));
                Map<String, Object> side = new LinkedHashMap<>();
                side.put("ttft_direct_ms", dT);
                side.put("ttft_http_ms", hT);
                side.put("ttft_overhead_ms_p50", Stats.median(overhead));
                side.put("decode_direct_tok_s", dS);
                side.put("decode_http_tok_s", hS);
                side.put("decode_ratio", Stats.median(hS) / Stats.median(dS));
                json.put(label, side);
            }
        }
        json.put("model", modelName);
        if (overheadP50.containsKey("off") && overheadP50.containsKey("all")) {
            double d = overheadP50.get("all") - overheadP50.get("off");
            json.put("observability_ttft_overhead_ms_p50", d);
            table.append(String.format(Locale.ROOT, "%nObservability (metrics, tracing, access log) adds %.2f ms to the p50 TTFT overhead.%n", d));
        }
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.print(table);
        if (!smoke) {
            Path results = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
            Files.createDirectories(results);
            String base = "server-overhead-" + modelName.replaceAll("[^A-Za-z0-9._-]", "_") + (observe.equals("default") ? "" : "-observe-" + observe);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(results.resolve(base + ".json").toFile(), json);
            Files.writeString(results.resolve(base + ".md"), "Hardware: " + Hardware.oneLine() + "\n\n" + table);
            System.err.println("bench: wrote " + results.resolve(base + ".json") + " and .md");
        }
        return 0;
    }
}
