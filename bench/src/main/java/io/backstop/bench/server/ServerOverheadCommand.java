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

    @Override
    public Integer call() throws Exception {
        try (LocalServer server = LocalServer.start(model, 1, 4)) {
            Model m = server.model();
            int n = smoke ? 8 : tokens;
            ServerOverhead.Result r = new ServerOverhead(m, server.baseUrl()).run(prompt, n, smoke ? 0 : warmups, smoke ? 2 : reps);
            List<Double> dT = r.direct().stream().map(ServerOverhead.Sample::ttftMillis).toList();
            List<Double> hT = r.http().stream().map(ServerOverhead.Sample::ttftMillis).toList();
            List<Double> overhead = new java.util.ArrayList<>();
            for (int i = 0; i < dT.size(); i++) overhead.add(hT.get(i) - dT.get(i));
            List<Double> dS = r.direct().stream().map(ServerOverhead.Sample::decodeTokensPerSecond).toList();
            List<Double> hS = r.http().stream().map(ServerOverhead.Sample::decodeTokensPerSecond).toList();
            String table = String.format(Locale.ROOT, """
                    | model | tokens | requests | TTFT direct p50 (ms) | TTFT HTTP p50 (ms) | overhead p50 / p95 (ms) | decode direct (tok/s) | decode HTTP (tok/s) | ratio |
                    |---|---|---|---|---|---|---|---|---|
                    | %s %s | %d | %d | %.2f | %.2f | %.2f / %.2f | %.1f | %.1f | %.2f× |
                    """, m.info().path().getFileName(), m.info().dtype(), n, dT.size(), Stats.median(dT), Stats.median(hT),
                    Stats.median(overhead), Stats.percentile(overhead, 95), Stats.median(dS), Stats.median(hS), Stats.median(hS) / Stats.median(dS));
            System.out.println("Hardware: " + Hardware.oneLine());
            System.out.print(table);
            if (!smoke) {
                Path results = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
                Files.createDirectories(results);
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("benchmark", "server-overhead");
                json.put("hardware", Hardware.describe());
                json.put("model", m.info().path().getFileName().toString());
                json.put("tokens_per_request", n);
                json.put("ttft_direct_ms", dT);
                json.put("ttft_http_ms", hT);
                json.put("ttft_overhead_ms_p50", Stats.median(overhead));
                json.put("decode_direct_tok_s", dS);
                json.put("decode_http_tok_s", hS);
                json.put("decode_ratio", Stats.median(hS) / Stats.median(dS));
                String base = "server-overhead-" + m.info().path().getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(results.resolve(base + ".json").toFile(), json);
                Files.writeString(results.resolve(base + ".md"), "Hardware: " + Hardware.oneLine() + "\n\n" + table);
                System.err.println("bench: wrote " + results.resolve(base + ".json") + " and .md");
            }
        }
        return 0;
    }
}
