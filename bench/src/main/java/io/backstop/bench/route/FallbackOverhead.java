package io.backstop.bench.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a route adds before the local model's answer when its remote provider misbehaves: the route and
 * the local model called by name, request by request, alternating so the machine's noise hits both.
 * Streams are timed to their first content event (time to first token); whole answers to their end.
 */
public final class FallbackOverhead {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Result(List<Double> localMillis, List<Double> routeMillis) {
        /** Route minus local, pair by pair. */
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

    public Result run(String route, String local, boolean stream, int tokens, int warmups, int reps) throws Exception {
        for (int i = 0; i < warmups; i++) {
            time(local, stream, tokens);
            time(route, stream, tokens);
        }
        List<Double> l = new ArrayList<>();
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
            l.add(time(local, stream, tokens));
            r.add(time(route, stream, tokens));
        }
        return new Result(l, r);
    }

    /** Milliseconds to the first content of a streamed chat (or to the whole answer); checks the local model served it. */
    double time(String model, boolean stream, int tokens) throws Exception {
        byte[] body = ("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":"
                + tokens + ",\"temperature\":0,\"stream\":" + stream + "}").getBytes(StandardCharsets.UTF_8);
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
        if (!"local".equals(c.getHeaderField("X-Backstop-Provider"))) throw new IllegalStateException(model + " was not served locally");
        double ms = -1;
        try (InputStream in = c.getInputStream()) {
            if (!stream) {
                in.readAllBytes();
                return (System.nanoTime() - start) / 1e6;
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = lines.readLine()) != null) {
                if (ms < 0 && line.startsWith("data: {") && hasContent(JSON.readTree(line.substring(6)))) ms = (System.nanoTime() - start) / 1e6;
            }
        }
        if (ms < 0) throw new IllegalStateException(model + ": the stream carried no content");
        return ms;
    }

    private static boolean hasContent(JsonNode event) {
        for (JsonNode c : event.path("choices")) if (!c.path("delta").path("content").asText("").isEmpty()) return true;
        return false;
    }
}
