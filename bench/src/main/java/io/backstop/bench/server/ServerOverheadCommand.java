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

    @Option(names = "--warmups", defaultValue = "5", description = "Untimed full-length requests per side first (default: ${DEFAULT-VALUE}).")
    int warmups;

    @Option(names = "--jit-warmups", defaultValue = "1000", paramLabel = "N",
            description = {"Untimed short requests (4 tokens) per side before those, so the JIT has compiled the per-request code",
                    "(handlers, metrics, spans, the access log) and not only the per-token code (default: ${DEFAULT-VALUE})."})
    int jitWarmups;

    @Option(names = "--prompt", defaultValue = "Once upon a time", description = "Prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--smoke", description = "A couple of short requests: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Option(names = "--observe", paramLabel = "MODE", defaultValue = "default",
            description = {"Observability while measured: default (metrics on, access log off), off, all (metrics, tracing and the access",
                    "log on), or compare (two servers in this JVM on the same loaded model, one off and one all, called in turn in",
                    "rotating order each repetition: the overhead of observability as paired differences; default: ${DEFAULT-VALUE})."})
    String observe;

    @Override
    public Integer call() throws Exception {
        List<LocalServer.Observe> modes = switch (observe) {
            case "default" -> List.of(LocalServer.Observe.DEFAULT);
            case "off" -> List.of(LocalServer.Observe.OFF);
            case "all" -> List.of(LocalServer.Observe.ALL);
            case "compare" -> List.of(LocalServer.Observe.OFF, LocalServer.Observe.ALL); // off first: the paired difference below reads them in this order
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--observe must be default, off, all or compare, got '" + observe + "'");
        };
        int n = smoke ? 8 : tokens;
        StringBuilder table = new StringBuilder("""
                | model | observability | tokens | requests | TTFT direct p50 (ms) | TTFT HTTP p50 (ms) | overhead p50 / p95 (ms) | decode direct (tok/s) | decode HTTP (tok/s) | ratio | request HTTP p50 (ms) |
                |---|---|---|---|---|---|---|---|---|---|---|
                """);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "server-overhead");
        json.put("hardware", Hardware.describe());
        json.put("tokens_per_request", n);
        String modelName;
        try (LocalServer server = LocalServer.start(model, 1, 4, modes)) {
            Model m = server.model();
            modelName = m.info().path().getFileName().toString();
            List<String> urls = new java.util.ArrayList<>();
            for (int k = 0; k < modes.size(); k++) urls.add(server.baseUrl(k));
            ServerOverhead.Result r = new ServerOverhead(m, urls).run(prompt, n, smoke ? 2 : jitWarmups, smoke ? 0 : warmups, smoke ? 2 : reps);
            List<Double> dT = values(r.direct(), ServerOverhead.Sample::ttftMillis);
            List<Double> dS = values(r.direct(), ServerOverhead.Sample::decodeTokensPerSecond);
            for (int k = 0; k < modes.size(); k++) {
                List<ServerOverhead.Sample> http = r.servers().get(k);
                List<Double> hT = values(http, ServerOverhead.Sample::ttftMillis);
                List<Double> overhead = new java.util.ArrayList<>();
                for (int i = 0; i < dT.size(); i++) overhead.add(hT.get(i) - dT.get(i));
                List<Double> hS = values(http, ServerOverhead.Sample::decodeTokensPerSecond);
                List<Double> total = values(http, ServerOverhead.Sample::totalMillis);
                String label = modes.get(k).name().toLowerCase(Locale.ROOT);
                table.append(String.format(Locale.ROOT, "| %s %s | %s | %d | %d | %.2f | %.2f | %.2f / %.2f | %.1f | %.1f | %.2f× | %.2f |%n",
                        modelName, m.info().dtype(), label, n, dT.size(), Stats.median(dT), Stats.median(hT),
                        Stats.median(overhead), Stats.percentile(overhead, 95), Stats.median(dS), Stats.median(hS), Stats.median(hS) / Stats.median(dS),
                        Stats.median(total)));
                Map<String, Object> side = new LinkedHashMap<>();
                side.put("ttft_direct_ms", dT);
                side.put("ttft_http_ms", hT);
                side.put("ttft_overhead_ms_p50", Stats.median(overhead));
                side.put("request_http_ms", total);
                side.put("decode_direct_tok_s", dS);
                side.put("decode_http_tok_s", hS);
                side.put("decode_ratio", Stats.median(hS) / Stats.median(dS));
                json.put(label, side);
            }
            if (modes.size() == 2) { // compare: all − off, paired by repetition (the two ran back to back)
                List<ServerOverhead.Sample> off = r.servers().get(0), all = r.servers().get(1);
                List<Double> ttft = new java.util.ArrayList<>(), whole = new java.util.ArrayList<>();
                for (int i = 0; i < off.size(); i++) {
                    ttft.add(all.get(i).ttftMillis() - off.get(i).ttftMillis());
                    whole.add(all.get(i).totalMillis() - off.get(i).totalMillis());
                }
                double[] ttftCi = medianInterval(ttft), wholeCi = medianInterval(whole);
                json.put("observability_ttft_overhead_ms_p50", Stats.median(ttft));
                json.put("observability_ttft_overhead_ms_p50_ci95", ttftCi);
                json.put("observability_request_overhead_ms_p50", Stats.median(whole));
                json.put("observability_request_overhead_ms_p50_ci95", wholeCi);
                json.put("observability_ttft_differences_ms", ttft);
                json.put("observability_request_differences_ms", whole);
                table.append(String.format(Locale.ROOT, "%nObservability (metrics, tracing, access log), all − off paired per repetition: "
                                + "TTFT p50 %+.3f ms (95%% CI of the median %+.3f … %+.3f; p5 %+.3f, p95 %+.3f), "
                                + "whole request p50 %+.3f ms (95%% CI %+.3f … %+.3f; p5 %+.3f, p95 %+.3f).%n",
                        Stats.median(ttft), ttftCi[0], ttftCi[1], Stats.percentile(ttft, 5), Stats.percentile(ttft, 95),
                        Stats.median(whole), wholeCi[0], wholeCi[1], Stats.percentile(whole, 5), Stats.percentile(whole, 95)));
            }
        }
        json.put("model", modelName);
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

    /**
     * A distribution-free 95% confidence interval of the median: the order statistics k and n+1−k with k
     * the largest rank whose binomial(n, ½) tail is at most 2.5% (for n = 20: the 6th and 15th values).
     * Whether "within 1 ms" holds is read from its upper end, not from the p50 alone.
     */
    static double[] medianInterval(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        if (n == 0) return new double[] {Double.NaN, Double.NaN};
        double tail = 0, p = Math.pow(0.5, n); // P(X = 0)
        int k = 0;
        for (int i = 0; i < n; i++) { // P(X <= i) <= 0.025 → rank i + 1 is a safe lower bound
            tail += p;
            if (tail > 0.025) break;
            k = i + 1;
            p = p * (n - i) / (i + 1);
        }
        if (k == 0) return new double[] {v[0], v[n - 1]}; // too few values for 95%: the whole range
        return new double[] {v[k - 1], v[n - k]};
    }

    private static List<Double> values(List<ServerOverhead.Sample> samples, java.util.function.ToDoubleFunction<ServerOverhead.Sample> f) {
        return samples.stream().map(x -> f.applyAsDouble(x)).toList();
    }
}
