package io.backstop.server.observe.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.ChatMessage;
import io.backstop.server.observe.Attempt;
import io.backstop.server.observe.judge.Verdict;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Asks a running Backstop server (or any OpenAI-compatible one) for answers and verdicts. */
public final class EvalClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;
    private final String apiKey;
    private final Duration timeout;

    /** What a route answered: its text, how long it took, its usage, its cost (X-Backstop-Cost-USD; null when unknown) and who answered. */
    public record Answer(String text, double latencyMs, Integer tokensIn, Integer tokensOut, Double costUsd, String target) {}

    /** The server could not be asked, or answered with an error: the message says which. */
    public static final class Failure extends RuntimeException {
        public Failure(String message) {
            super(message);
        }
    }

    public EvalClient(URI base, String apiKey, Duration timeout) {
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b : b + "/");
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    public Answer answer(String route, EvalCase c) {
        ObjectNode body = c.body().deepCopy();
        body.put("model", route);
        long start = System.nanoTime();
        HttpResponse<String> r = post(c.chat() ? "v1/chat/completions" : "v1/completions", body);
        double ms = (System.nanoTime() - start) / 1e6;
        JsonNode n = parse(r, route);
        JsonNode choice = n.path("choices").path(0);
        String text = c.chat() ? choice.path("message").path("content").asText("") : choice.path("text").asText("");
        JsonNode u = n.path("usage");
        Double cost = r.headers().firstValue(Attempt.COST_HEADER).map(Double::parseDouble).orElse(null);
        return new Answer(text, ms, u.has("prompt_tokens") ? u.get("prompt_tokens").asInt() : null,
                u.has("completion_tokens") ? u.get("completion_tokens").asInt() : null, cost,
                r.headers().firstValue("X-Backstop-Provider").map(p -> p + ":" + r.headers().firstValue("X-Backstop-Model").orElse("?")).orElse(null));
    }

    /**
     * A verdict from the judge route, asked for constrained JSON ({@code response_format: json_schema});
     * a server that does not support that for the judge's model is asked again without it, and the answer is
     * validated against the verdict's schema either way.
     */
    public Verdict judge(String judge, List<ChatMessage> messages) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", judge);
        var ms = body.putArray("messages");
        for (ChatMessage m : messages) ms.addObject().put("role", m.role()).put("content", m.content());
        body.put("temperature", 0);
        body.put("max_tokens", 300);
        ObjectNode constrained = body.deepCopy();
        ObjectNode rf = constrained.putObject("response_format");
        rf.put("type", "json_schema");
        rf.putObject("json_schema").put("name", "verdict").put("strict", true).set("schema", Verdict.schema());
        HttpResponse<String> r = post("v1/chat/completions", constrained);
        if (r.statusCode() == 400 && readQuietly(r.body()).at("/error/param").asText("").equals("response_format")) {
            r = post("v1/chat/completions", body);
        }
        JsonNode n = parse(r, judge);
        try {
            return Verdict.parse(n.path("choices").path(0).path("message").path("content").asText(""));
        } catch (IllegalArgumentException e) {
            throw new Failure("judge '" + judge + "': " + e.getMessage());
        }
    }

    private HttpResponse<String> post(String path, JsonNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Failure("cannot reach " + base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        }
    }

    private static JsonNode parse(HttpResponse<String> r, String model) {
        JsonNode n = readQuietly(r.body());
        if (r.statusCode() != 200) {
            String msg = n.at("/error/message").asText("");
            throw new Failure("'" + model + "' answered HTTP " + r.statusCode() + (msg.isEmpty() ? "" : ": " + msg));
        }
        if (n.isMissingNode()) throw new Failure("'" + model + "' answered something that is not JSON");
        return n;
    }

    private static JsonNode readQuietly(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
    }
}
