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
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * N concurrent streaming clients against an OpenAI-compatible server (ours on loopback, or any other such
 * as llama.cpp's llama-server): aggregate tok/s, time to first token and inter-token latency percentiles,
 * errors. Loops are bounded: each client sends a fixed number of requests with a fixed number of tokens,
 * greedy, on {@code /v1/completions} with the end tokens (ids 1 and 2 of Llama vocabularies) forbidden so
 * every stream runs its full length. Tokens are counted from the usage the server reports at the end of
 * the stream when it does, else one per streamed chunk. A failed request is counted with its reason (the HTTP
 * status and the server's message, the connection's exception, or a stream that carried no text), so a
 * table's errors can be told apart: the server refusing work from the client's connection breaking.
 */
public final class LoadBench {
    private static final java.util.regex.Pattern COMPLETION_TOKENS = java.util.regex.Pattern.compile("\"completion_tokens\":(\\d+)");
    private static final java.util.regex.Pattern MESSAGE = java.util.regex.Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.){0,200})");
    /** The reason given for a stream that ended without any text. */
    static final String NO_TEXT = "a stream with no text";

    /** One concurrency level; {@code errorReasons}: how many failed requests gave each reason, by reason. */
    public record Level(int clients, int requests, int errors, Map<String, Integer> errorReasons, double aggregateTokensPerSecond,
                        double ttftP50, double ttftP95, double ttftP99, double itlP50, double itlP99) {}

    /** {@code error}: null when the request streamed text. */
    private record Request(String error, int tokens, double ttftMillis, List<Double> itlMillis) {
        boolean ok() {
            return error == null;
        }

        static Request failed(String reason) {
            return new Request(reason, 0, 0, List.of());
        }
    }

    private final String baseUrl;
    private final String model;
    private final String prompt;

    public LoadBench(String baseUrl, String model) {
        this(baseUrl, model, "Once upon a time");
    }

    public LoadBench(String baseUrl, String model, String prompt) {
        this.baseUrl = baseUrl;
        this.model = model;
        this.prompt = prompt;
    }

    /** Time to first token (ms) of one streamed request of {@code prompt}, alone; NaN when it fails. */
    public double ttft(String prompt, int tokens) {
        Request r = one(prompt, tokens);
        return r.ok() ? r.ttftMillis() : Double.NaN;
    }

    public Level run(int clients, int requestsPerClient, int tokens) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Request> done = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < requestsPerClient; r++) done.add(one(prompt, tokens));
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
        Map<String, Integer> reasons = new TreeMap<>();
        for (Request r : done) {
            if (!r.ok()) {
                errors++;
                reasons.merge(r.error(), 1, Integer::sum);
                continue;
            }
            ttft.add(r.ttftMillis());
            itl.addAll(r.itlMillis());
            tokensTotal += r.tokens();
        }
        return new Level(clients, done.size(), errors, reasons, tokensTotal / wall, Stats.percentile(ttft, 50), Stats.percentile(ttft, 95),
                Stats.percentile(ttft, 99), Stats.percentile(itl, 50), Stats.percentile(itl, 99));
    }

    private Request one(String prompt, int tokens) {
        try {
            byte[] body = ("{\"model\":\"" + model + "\",\"prompt\":\"" + json(prompt) + "\",\"max_tokens\":" + tokens
                    + ",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"cache_prompt\":true"
                    + ",\"logit_bias\":{\"1\":-100,\"2\":-100}}").getBytes(StandardCharsets.UTF_8);
            long start = System.nanoTime();
            HttpURLConnection c = (HttpURLConnection) URI.create(baseUrl + "/v1/completions").toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json");
            c.setFixedLengthStreamingMode(body.length);
            try (var os = c.getOutputStream()) {
                os.write(body);
            }
            int status = c.getResponseCode();
            if (status != 200) return Request.failed(httpError(status, c));
            List<Double> itl = new ArrayList<>();
            long last = 0;
            double ttft = 0;
            int n = 0, usage = -1;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.startsWith("data: {")) continue;
                    java.util.regex.Matcher u = COMPLETION_TOKENS.matcher(line);
                    if (u.find()) usage = Integer.parseInt(u.group(1));
                    if (!line.contains("\"text\":\"") || line.contains("\"text\":\"\"")) continue;
                    long now = System.nanoTime();
                    if (n == 0) ttft = (now - start) / 1e6;
                    else itl.add((now - last) / 1e6);
                    last = now;
                    n++;
                }
            }
            return n > 0 ? new Request(null, usage >= 0 ? usage : n, ttft, itl) : Request.failed(NO_TEXT);
        } catch (Exception e) {
            return Request.failed(e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        }
    }

    /** "HTTP 503: the server's message" (its OpenAI-style error message when the body has one, at most 200 characters). */
    private static String httpError(int status, HttpURLConnection c) {
        String body = "";
        try (var err = c.getErrorStream()) {
            if (err != null) body = new String(err.readNBytes(4096), StandardCharsets.UTF_8);
        } catch (java.io.IOException ignored) {
            // the status alone then
        }
        java.util.regex.Matcher m = MESSAGE.matcher(body);
        return "HTTP " + status + (m.find() ? ": " + m.group(1) : "");
    }

    private static String json(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.toString();
    }
}
