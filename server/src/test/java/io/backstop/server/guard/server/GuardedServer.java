package io.backstop.server.guard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.TestServer;
import io.backstop.server.config.ConfigLoader;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.guard.GuardLog;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.route.FaultyUpstream;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real server on a real port, started from a YAML configuration the way {@code serve --config}
 * reads it, with two real OpenAI-compatible upstreams on loopback ({@code up} and {@code up2}) and the
 * stories260K model as the local target. Business rules keep time by a clock the test moves.
 */
final class GuardedServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final String PROVIDERS = """
            providers:
              - {name: up, base_url: "${UP}", api_key_env: UP_KEY, retry: {max_attempts: 1}}
              - {name: up2, base_url: "${UP2}", api_key_env: UP_KEY, retry: {max_attempts: 1}}
            """;
    static final String STORIES = "{name: stories, path: \"${STORIES}\", chat_template: raw, max_in_flight: 4, queue_size: 64";

    final FaultyUpstream up;
    final FaultyUpstream up2;
    final MovableClock clock = new MovableClock();
    final ServerConfig config;
    final ModelRegistry registry;
    final BackstopServer server;

    private GuardedServer(String yaml, Path dir) throws IOException {
        up = new FaultyUpstream();
        up2 = new FaultyUpstream(List.of("Second", " opinion"));
        String text = (PROVIDERS + "server: {port: 0, max_body_bytes: 1048576}\n" + yaml).replace("${UP}", up.baseUrl()).replace("${UP2}", up2.baseUrl())
                .replace("${STORIES}", TestServer.storiesDir().toString());
        Path file = dir.resolve("backstop.yaml");
        Files.writeString(file, text);
        Map<String, String> env = Map.of("UP_KEY", "sk-test-123");
        config = new ConfigLoader(env).load(file);
        registry = new ModelRegistry(config.models(), 0);
        server = new BackstopServer(config, registry, new RouteTable(config.providers(), config.routes(), env)).guardClock(clock).start();
        registry.loadAll();
    }

    /** Starts with {@link #PROVIDERS} and this YAML (guardrails, models, routes); {@code ${STORIES}} is the local model's folder. */
    static GuardedServer start(Path dir, String yaml) {
        try {
            return new GuardedServer(yaml, dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Reply(int status, Map<String, List<String>> headers, String body) {
        String header(String n) {
            return headers.getOrDefault(n.toLowerCase(), List.of()).stream().findFirst().orElse(null);
        }

        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        /** The data of every SSE event, [DONE] included. */
        List<String> events() {
            List<String> out = new ArrayList<>();
            for (String block : body.split("\n\n")) if (block.startsWith("data: ")) out.add(block.substring(6));
            return out;
        }

        /** The concatenated content of a stream's choice 0 (chat deltas or completion texts). */
        String streamed() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (String e : events()) {
                if (!e.startsWith("{")) continue;
                for (JsonNode c : JSON.readTree(e).path("choices")) {
                    if (c.path("index").asInt() == 0) sb.append(c.has("delta") ? c.path("delta").path("content").asText("") : c.path("text").asText(""));
                }
            }
            return sb.toString();
        }

        /** The last finish_reason a stream sent. */
        String streamedFinish() throws IOException {
            String finish = null;
            for (String e : events()) {
                if (!e.startsWith("{")) continue;
                for (JsonNode c : JSON.readTree(e).path("choices")) if (c.hasNonNull("finish_reason")) finish = c.get("finish_reason").asText();
            }
            return finish;
        }

        /** The answer's text: a whole answer's choice 0, or the streamed content. */
        String content() throws IOException {
            if (body.startsWith("data:")) return streamed();
            JsonNode c = json().at("/choices/0");
            return c.has("message") ? c.path("message").path("content").asText() : c.path("text").asText();
        }

        String finish() throws IOException {
            return body.startsWith("data:") ? streamedFinish() : json().at("/choices/0/finish_reason").asText();
        }
    }

    Reply post(String path, String body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A chat with one user message. */
    Reply chat(String model, boolean stream, String user, String extra) {
        return post("/v1/chat/completions", chatBody(model, stream, List.of(Map.of("role", "user", "content", user)), extra));
    }

    static String chatBody(String model, boolean stream, List<Map<String, String>> messages, String extra) {
        try {
            return "{\"model\":" + JSON.writeValueAsString(model) + ",\"stream\":" + stream + ",\"temperature\":0,\"messages\":"
                    + JSON.writeValueAsString(messages) + (extra == null || extra.isEmpty() ? "" : "," + extra) + "}";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Reply completion(String model, boolean stream, String prompt, String extra) {
        try {
            return post("/v1/completions", "{\"model\":" + JSON.writeValueAsString(model) + ",\"stream\":" + stream + ",\"temperature\":0,\"prompt\":"
                    + JSON.writeValueAsString(prompt) + (extra == null || extra.isEmpty() ? "" : "," + extra) + "}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The guardrail decisions about the request that got {@code r}. */
    List<GuardLog.Entry> decisions(Reply r) {
        return server.guardLog().of(r.header("X-Request-Id"));
    }

    @Override
    public void close() throws IOException {
        server.close();
        registry.close();
        up.close();
        up2.close();
    }

    /** UTC time that moves only when the test says so. */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2030-01-01T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
