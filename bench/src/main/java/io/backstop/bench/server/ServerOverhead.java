package io.backstop.bench.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Model;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Time to first token and decode tok/s of the same greedy request, called on the engine directly and
 * through the real HTTP server (streaming chat over loopback), alternating so noise hits both alike.
 * With several servers (e.g. observability off and on, on the same model) each repetition calls every
 * one, in an order that rotates, so neither always follows the direct call.
 */
public final class ServerOverhead {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tokens of a JIT warm-up request: enough to run every per-request path, cheap enough to run hundreds. */
    static final int JIT_TOKENS = 4;

    /** One measured request: time to first token, decode speed, content chunks, and time to the end of the response. */
    public record Sample(double ttftMillis, double decodeTokensPerSecond, int chunks, double totalMillis) {}

    /** The direct calls, and the HTTP calls of each server in the order given. */
    public record Result(List<Sample> direct, List<List<Sample>> servers) {
        /** The first server's calls. */
        public List<Sample> http() {
            return servers.get(0);
        }
    }

    private final Model model;
    private final List<String> baseUrls;

    public ServerOverhead(Model model, String baseUrl) {
        this(model, List.of(baseUrl));
    }

    public ServerOverhead(Model model, List<String> baseUrls) {
        this.model = model;
        this.baseUrls = List.copyOf(baseUrls);
    }

    public Result run(String prompt, int tokens, int warmups, int reps) throws Exception {
        return run(prompt, tokens, 0, warmups, reps);
    }

    /**
     * @param jitWarmups short untimed requests per path first, so the per-request code (handlers, metrics,
     *                   spans, the access log) is compiled before anything is timed, not only the per-token code
     * @param warmups    untimed full-length requests per path after those
     */
    public Result run(String prompt, int tokens, int jitWarmups, int warmups, int reps) throws Exception {
        for (int i = 0; i < jitWarmups; i++) {
            direct(prompt, JIT_TOKENS);
            for (String url : baseUrls) http(url, prompt, JIT_TOKENS);
        }
        for (int i = 0; i < warmups; i++) {
            direct(prompt, tokens);
            for (String url : baseUrls) http(url, prompt, tokens);
        }
        List<Sample> direct = new ArrayList<>();
        List<List<Sample>> http = new ArrayList<>();
        for (int k = 0; k < baseUrls.size(); k++) http.add(new ArrayList<>());
        for (int i = 0; i < reps; i++) {
            direct.add(direct(prompt, tokens));
            for (int j = 0; j < baseUrls.size(); j++) {
                int k = (i + j) % baseUrls.size();
                http.get(k).add(http(baseUrls.get(k), prompt, tokens));
            }
        }
        return new Result(direct, http);
    }

    /** The engine as an embedding application calls it: submit, stream deltas. */
    Sample direct(String prompt, int tokens) {
        long start = System.nanoTime();
        long[] times = new long[tokens + 2];
        int[] n = {0};
        GenerationListener listener = delta -> {
            if (n[0] < times.length) times[n[0]] = System.nanoTime();
            n[0]++;
        };
        model.generate(request(prompt, tokens), listener);
        return sample(start, times, Math.min(n[0], times.length), n[0], System.nanoTime());
    }

    /** The same request as a streaming chat completion over HTTP; every content chunk timed on arrival. */
    Sample http(String baseUrl, String prompt, int tokens) throws Exception {
        String body = "{\"model\":" + JSON.writeValueAsString(model.name()) + ",\"messages\":[{\"role\":\"user\",\"content\":"
                + JSON.writeValueAsString(prompt) + "}],\"max_tokens\":" + tokens + ",\"temperature\":0,\"stream\":true,"
                + "\"logit_bias\":{\"1\":-100,\"2\":-100}}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        // HttpURLConnection: a plain blocking client (keep-alive), lighter than java.net.http's async machinery
        HttpURLConnection c = (HttpURLConnection) URI.create(baseUrl + "/v1/chat/completions").toURL().openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        c.setFixedLengthStreamingMode(bytes.length);
        try (var os = c.getOutputStream()) {
            os.write(bytes);
        }
        if (c.getResponseCode() != 200) throw new IllegalStateException("server answered " + c.getResponseCode());
        long[] times = new long[tokens + 2];
        int n = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                // a cheap check keeps the client (on the same cores) from slowing the server it measures
                if (line.contains("\"delta\":{\"content\":\"") && !line.contains("\"delta\":{\"content\":\"\"")) {
                    if (n < times.length) times[n] = System.nanoTime();
                    n++;
                }
            }
        }
        return sample(start, times, Math.min(n, times.length), n, System.nanoTime()); // after the end of the response, not [DONE]
    }

    private GenerationRequest request(String prompt, int tokens) {
        // the chat template is "raw" for base models, so the prompt text is the same on both paths
        return GenerationRequest.builder(io.backstop.engine.Prompt.chat(List.of(io.backstop.engine.ChatMessage.user(prompt))))
                .greedy().maxTokens(tokens).logitBias(1, -100).logitBias(2, -100).build();
    }

    private static Sample sample(long start, long[] times, int n, int chunks, long end) {
        double ttft = n == 0 ? Double.NaN : (times[0] - start) / 1e6;
        double tps = n > 1 ? (n - 1) * 1e9 / (times[n - 1] - times[0]) : Double.NaN;
        return new Sample(ttft, tps, chunks, (end - start) / 1e6);
    }
}
