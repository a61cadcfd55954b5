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
 */
public final class ServerOverhead {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One measured request. */
    public record Sample(double ttftMillis, double decodeTokensPerSecond, int chunks) {}

    public record Result(List<Sample> direct, List<Sample> http) {}

    private final Model model;
    private final String baseUrl;

    public ServerOverhead(Model model, String baseUrl) {
        this.model = model;
        this.baseUrl = baseUrl;
    }

    public Result run(String prompt, int tokens, int warmups, int reps) throws Exception {
        for (int i = 0; i < warmups; i++) {
            direct(prompt, tokens);
            http(prompt, tokens);
        }
        List<Sample> direct = new ArrayList<>();
        List<Sample> http = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            direct.add(direct(prompt, tokens));
            http.add(http(prompt, tokens));
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
        return sample(start, times, Math.min(n[0], times.length), n[0]);
    }

    /** The same request as a streaming chat completion over HTTP; every content chunk timed on arrival. */
    Sample http(String prompt, int tokens) throws Exception {
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
        return sample(start, times, Math.min(n, times.length), n);
    }

    private GenerationRequest request(String prompt, int tokens) {
        // the chat template is "raw" for base models, so the prompt text is the same on both paths
        return GenerationRequest.builder(io.backstop.engine.Prompt.chat(List.of(io.backstop.engine.ChatMessage.user(prompt))))
                .greedy().maxTokens(tokens).logitBias(1, -100).logitBias(2, -100).build();
    }

    private static Sample sample(long start, long[] times, int n, int chunks) {
        double ttft = n == 0 ? Double.NaN : (times[0] - start) / 1e6;
        double tps = n > 1 ? (n - 1) * 1e9 / (times[n - 1] - times[0]) : Double.NaN;
        return new Sample(ttft, tps, chunks);
    }
}
