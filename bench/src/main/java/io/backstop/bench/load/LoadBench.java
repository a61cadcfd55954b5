package io.backstop.bench.load;

import io.backstop.bench.Stats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N concurrent streaming clients against the real server on loopback: aggregate tok/s, time to first
 * token and inter-token latency percentiles, errors. Loops are bounded: each client sends a fixed
 * number of requests with a fixed number of tokens.
 */
public final class LoadBench {
    /** One concurrency level. */
    public record Level(int clients, int requests, int errors, double aggregateTokensPerSecond,
                        double ttftP50, double ttftP95, double ttftP99, double itlP50, double itlP99) {}

    private record Request(boolean ok, int tokens, double ttftMillis, List<Double> itlMillis) {}

    private final String baseUrl;
    private final String model;

    public LoadBench(String baseUrl, String model) {
        this.baseUrl = baseUrl;
        this.model = model;
    }

    public Level run(int clients, int requestsPerClient, int tokens) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Request> done = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < requestsPerClient; r++) done.add(one(tokens));
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        List<Double> ttft = new ArrayList<>();
        List<Double> itl = new ArrayList<>();
        int tokensTotal = 0;
        int errors = 0;
        for (Request r : done) {
            if (!r.ok()) {
                errors++;
                continue;
            }
            ttft.add(r.ttftMillis());
            itl.addAll(r.itlMillis());
            tokensTotal += r.tokens();
        }
        return new Level(clients, done.size(), errors, tokensTotal / wall, Stats.percentile(ttft, 50), Stats.percentile(ttft, 95),
                Stats.percentile(ttft, 99), Stats.percentile(itl, 50), Stats.percentile(itl, 99));
    }

    private Request one(int tokens) {
        try {
            byte[] body = ("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":" + tokens
                    + ",\"temperature\":0,\"stream\":true,\"logit_bias\":{\"1\":-100,\"2\":-100}}").getBytes(StandardCharsets.UTF_8);
            long start = System.nanoTime();
            HttpURLConnection c = (HttpURLConnection) URI.create(baseUrl + "/v1/chat/completions").toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            c.setFixedLengthStreamingMode(body.length);
            try (var os = c.getOutputStream()) {
                os.write(body);
            }
            if (c.getResponseCode() != 200) return new Request(false, 0, 0, List.of());
            List<Double> itl = new ArrayList<>();
            long last = 0;
            double ttft = 0;
            int n = 0;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.startsWith("data: {") || !line.contains("\"delta\":{\"content\":\"")) continue;
                    long now = System.nanoTime();
                    if (n == 0) ttft = (now - start) / 1e6;
                    else itl.add((now - last) / 1e6);
                    last = now;
                    n++;
                }
            }
            return new Request(n > 0, n, ttft, itl);
        } catch (Exception e) {
            return new Request(false, 0, 0, List.of());
        }
    }
}
