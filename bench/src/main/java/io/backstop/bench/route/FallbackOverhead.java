package io.backstop.bench.route;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Latency of a route whose remote provider is down with its breaker open (so it falls back to the local
 * model) against calling the local model by name, request by request, alternating.
 */
public final class FallbackOverhead {
    public record Result(List<Double> localMillis, List<Double> routeMillis) {
        public List<Double> addedMillis() {
            List<Double> out = new ArrayList<>();
            for (int i = 0; i < localMillis.size(); i++) out.add(routeMillis.get(i) - localMillis.get(i));
            return out;
        }
    }

    private final String baseUrl;

    public FallbackOverhead(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public Result run(String route, String local, int tokens, int warmups, int reps) throws Exception {
        for (int i = 0; i < warmups; i++) {
            time(local, tokens);
            time(route, tokens);
        }
        List<Double> l = new ArrayList<>();
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            l.add(time(local, tokens));
            r.add(time(route, tokens));
        }
        return new Result(l, r);
    }

    /** Milliseconds for one whole (non-streaming) chat completion; also checks who served it. */
    double time(String model, int tokens) throws Exception {
        byte[] body = ("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":"
                + tokens + ",\"temperature\":0}").getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        HttpURLConnection c = (HttpURLConnection) URI.create(baseUrl + "/v1/chat/completions").toURL().openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        c.setFixedLengthStreamingMode(body.length);
        try (var os = c.getOutputStream()) {
            os.write(body);
        }
        if (c.getResponseCode() != 200) throw new IllegalStateException(model + ": server answered " + c.getResponseCode());
        try (InputStream in = c.getInputStream()) {
            in.readAllBytes();
        }
        double ms = (System.nanoTime() - start) / 1e6;
        if (!"local".equals(c.getHeaderField("X-Backstop-Provider"))) throw new IllegalStateException(model + " was not served locally");
        return ms;
    }
}
