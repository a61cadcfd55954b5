package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.FinishReason;
import io.backstop.server.http.RequestLog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP contract seen by a plain HTTP client: SSE framing, headers, status codes and error bodies. */
class HttpApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Reply(int status, HttpResponse<String> raw, JsonNode json) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    static Reply post(TestServer s, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body().startsWith("{") ? JSON.readTree(r.body()) : null;
        return new Reply(r.statusCode(), r, json);
    }

    static Reply get(TestServer s, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).GET();
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r, r.body().startsWith("{") ? JSON.readTree(r.body()) : null);
    }

    static String chat(String content, int maxTokens, String extra) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":" + quote(content) + "}],\"max_tokens\":" + maxTokens
                + ",\"temperature\":0" + extra + "}";
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Splits an SSE body into its data payloads, checking the framing on the way. */
    static List<String> events(String body) {
        assertThat(body).endsWith("data: [DONE]\n\n");
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            assertThat(block).startsWith("data: ");
            assertThat(block).doesNotContain("\n");
            out.add(block.substring("data: ".length()));
        }
        return out;
    }

    @Test
    void streamedChatIsFramedAsServerSentEventsEndingWithDone() throws Exception {
        JsonNode ref = TestServer.references().get(2);
        Reply r = post(server, "/v1/chat/completions", chat(ref.get("prompt").asText(), TestServer.maxTokens(ref), ",\"stream\":true"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/event-stream");
        List<String> events = events(r.raw().body());
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = JSON.readTree(e);
            assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.has("usage") && !chunk.get("usage").isNull()).isFalse();
            JsonNode choice = chunk.get("choices").get(0);
            text.append(choice.path("delta").path("content").asText(""));
            if (!choice.get("finish_reason").isNull()) finish = choice.get("finish_reason").asText();
        }
        assertThat(JSON.readTree(events.get(0)).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
        assertThat(text.toString()).isEqualTo(TestServer.continuation(ref));
        assertThat(finish).isIn("stop", "length");
    }

    @Test
    void includeUsageAddsAFinalUsageChunkBeforeDone() throws Exception {
        Reply r = post(server, "/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":7,\"temperature\":0,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        List<String> events = events(r.raw().body());
        for (String e : events.subList(0, events.size() - 2)) {
            assertThat(JSON.readTree(e).has("usage")).as("every other chunk carries usage: null").isTrue();
            assertThat(JSON.readTree(e).get("usage").isNull()).isTrue();
        }
        JsonNode usageChunk = JSON.readTree(events.get(events.size() - 2));
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.at("/usage/prompt_tokens").asInt()).isEqualTo(5);
        assertThat(usageChunk.at("/usage/completion_tokens").asInt()).isEqualTo(7);
        assertThat(usageChunk.at("/usage/total_tokens").asInt()).isEqualTo(12);
    }

    @Test
    void requestIdIsEchoedOrGenerated() throws Exception {
        Reply echoed = post(server, "/v1/chat/completions", chat("Hi", 2, ""), "X-Request-Id", "client-123");
        assertThat(echoed.header("X-Request-Id")).isEqualTo("client-123");
        Reply fresh = post(server, "/v1/chat/completions", chat("Hi", 2, ""));
        assertThat(fresh.header("X-Request-Id")).startsWith("req_");
        Reply error = post(server, "/v1/chat/completions", "{", "X-Request-Id", "bad-1");
        assertThat(error.header("X-Request-Id")).isEqualTo("bad-1");
    }

    @Test
    void badRequestsGet400NamingTheField() throws Exception {
        record Case(String body, String param, String text) {}
        List<Case> cases = List.of(
                new Case("{\"model\":\"stories\",", null, "could not parse the JSON body"),
                new Case("[1,2]", null, "must be a JSON object"),
                new Case(chat("x", 5, ",\"temperature\":\"hot\""), "temperature", "temperature must be a number"),
                new Case(chat("x", 5, ",\"temperature\":2.5"), "temperature", "temperature must be in [0, 2]"),
                new Case(chat("x", 0, ""), "max_tokens", "max_tokens must be at least 1"),
                new Case(chat("x", 5, ",\"top_p\":0"), "top_p", "top_p"),
                new Case(chat("x", 5, ",\"n\":0"), "n", "n must be between"),
                new Case(chat("x", 5, ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), "stop", "at most 4"),
                new Case(chat("x", 5, ",\"logit_bias\":{\"abc\":1}"), "logit_bias", "token ids"),
                new Case(chat("x", 5, ",\"response_format\":{\"type\":\"xml\"}"), "response_format.type", "not supported"),
                new Case(chat("x", 5, ",\"tools\":[{\"type\":\"code\"}]"), "tools[0].type", "not supported"),
                new Case(chat("x", 5, ",\"stream_options\":{\"include_usage\":true}"), "stream_options", "only allowed when stream is true"),
                new Case("{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}",
                        "messages[0].content[0].type", "not supported"),
                new Case("{\"model\":\"stories\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].tool_call_id", "tool_call_id"),
                new Case("{\"model\":\"stories\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "messages[0].role", "not supported"),
                new Case("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model", "missing required field: model"));
        for (Case c : cases) {
            Reply r = post(server, "/v1/chat/completions", c.body());
            assertThat(r.status()).as(c.body()).isEqualTo(400);
            JsonNode err = r.json().get("error");
            assertThat(err.get("type").asText()).isEqualTo("invalid_request_error");
            assertThat(err.get("message").asText()).as(c.body()).contains(c.text());
            if (c.param() == null) assertThat(err.get("param").isNull()).isTrue();
            else assertThat(err.get("param").asText()).isEqualTo(c.param());
        }
    }

    @Test
    void contentPartsOfTypeTextAreAccepted() throws Exception {
        Reply r = post(server, "/v1/chat/completions", "{\"model\":\"stories\",\"max_tokens\":3,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"Once upon\"},{\"type\":\"text\",\"text\":\" a time\"}]}]}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(", there was");
    }

    @Test
    void unknownModelsAndEndpointsGet404() throws Exception {
        Reply model = post(server, "/v1/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertThat(model.status()).isEqualTo(404);
        assertThat(model.json().at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(model.json().at("/error/message").asText()).contains("gpt-9");
        assertThat(get(server, "/v1/models/gpt-9").status()).isEqualTo(404);
        Reply endpoint = get(server, "/v2/whatever");
        assertThat(endpoint.status()).isEqualTo(404);
        assertThat(endpoint.json().at("/error/message").asText()).isNotBlank();
    }

    @Test
    void bodiesOverTheLimitGet413() throws Exception {
        String big = chat("x".repeat(70 * 1024), 5, "");
        Reply r = post(server, "/v1/chat/completions", big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().at("/error/message").asText()).contains("65536 bytes");
    }

    @Test
    void apiKeysAreRequiredWhenConfiguredButProbesStayOpen() throws Exception {
        try (TestServer keyed = TestServer.start(c -> c.withApiKeys(List.of("k1", "k2")))) {
            Reply missing = post(keyed, "/v1/chat/completions", chat("Hi", 2, ""));
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
            assertThat(missing.json().at("/error/code").asText()).isEqualTo("invalid_api_key");
            Reply wrong = post(keyed, "/v1/chat/completions", chat("Hi", 2, ""), "Authorization", "Bearer k3");
            assertThat(wrong.status()).isEqualTo(401);
            assertThat(wrong.raw().body()).doesNotContain("k1").doesNotContain("k2").doesNotContain("k3");
            assertThat(post(keyed, "/v1/chat/completions", chat("Hi", 2, ""), "Authorization", "Bearer k2").status()).isEqualTo(200);
            assertThat(get(keyed, "/v1/models").status()).isEqualTo(401);
            assertThat(get(keyed, "/health").status()).isEqualTo(200);
            assertThat(get(keyed, "/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void aFullQueueGets429WithRetryAfterAndTheOthersComplete() throws Exception {
        try (TestServer small = TestServer.start(c -> TestServer.config(1, 0))) {
            String body = chat("Once upon a time", 400, ",\"logit_bias\":{\"1\":-100,\"2\":-100}");
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(small.baseUrl() + "/v1/chat/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int busy = 0;
            for (var call : calls) {
                HttpResponse<String> r = call.get();
                if (r.statusCode() == 429) {
                    busy++;
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("busy");
                } else {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(JSON.readTree(r.body()).at("/usage/completion_tokens").asInt()).isEqualTo(400);
                    ok++;
                }
            }
            assertThat(busy).isPositive();
            assertThat(ok).isPositive();
        }
    }

    @Test
    void notReadyUntilModelsAreLoaded() throws Exception {
        var config = TestServer.config(1, 4);
        var registry = new io.backstop.server.route.ModelRegistry(config.models(), 0);
        try (var s = new io.backstop.server.http.BackstopServer(config, registry).start()) {
            String base = "http://127.0.0.1:" + s.port();
            HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> chat = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chat("Hi", 2, ""))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).isEqualTo(503);
            assertThat(chat.headers().firstValue("Retry-After")).isPresent();
            registry.loadAll();
            assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        } finally {
            registry.close();
        }
    }

    @Test
    void aClientThatDisconnectsCancelsItsGeneration() throws Exception {
        String body = chat("Once upon a time", 500, ",\"stream\":true,\"logit_bias\":{\"1\":-100,\"2\":-100}");
        int before = server.server().requestLog().entries().size();
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(server.baseUrl().replaceAll(".*:", "")))) {
            OutputStream out = socket.getOutputStream();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                    + bytes.length + "\r\nX-Request-Id: disconnect-1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
                // skip the status line and headers (and a chunk-size line)
            }
            assertThat(line).startsWith("data: ");
        } // closing the socket is the disconnect
        RequestLog.Entry entry = awaitEntry("disconnect-1", before);
        assertThat(entry.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(entry.usage().completionTokens()).isLessThan(500);
    }

    @Test
    void severalConcurrentStreamingClientsEachGetTheirFullCorrectAnswer() throws Exception {
        List<JsonNode> refs = TestServer.references();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (JsonNode ref : refs) {
            String body = "{\"model\":\"stories\",\"prompt\":" + quote(ref.get("prompt").asText()) + ",\"max_tokens\":" + TestServer.maxTokens(ref)
                    + ",\"temperature\":0,\"stream\":true}";
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < refs.size(); i++) {
            HttpResponse<String> r = calls.get(i).get();
            assertThat(r.statusCode()).isEqualTo(200);
            List<String> events = events(r.body());
            StringBuilder text = new StringBuilder();
            for (String e : events.subList(0, events.size() - 1)) text.append(JSON.readTree(e).at("/choices/0/text").asText());
            assertThat(text.toString()).isEqualTo(TestServer.continuation(refs.get(i)));
        }
    }

    @Test
    void tokenizeDetokenizeAndHealth() throws Exception {
        Reply t = post(server, "/tokenize", "{\"model\":\"stories\",\"prompt\":\"The little dog was sad because\"}");
        assertThat(t.json().get("tokens").toString()).isEqualTo("[1,291,376,400,428,286,296,418,329,429,412,425,372]");
        assertThat(t.json().get("max_model_len").asInt()).isEqualTo(506);
        Reply d = post(server, "/detokenize", "{\"model\":\"stories\",\"tokens\":[1,291,376,400,428]}");
        assertThat(d.json().get("prompt").asText()).isEqualTo("The little dog");
        Reply bad = post(server, "/detokenize", "{\"model\":\"stories\",\"tokens\":[99999]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(get(server, "/health").json().get("status").asText()).isEqualTo("ok");
    }

    @Test
    void completionsAcceptTokenIdPrompts() throws Exception {
        JsonNode ref = TestServer.references().get(3);
        Reply r = post(server, "/v1/completions", "{\"model\":\"stories\",\"prompt\":" + ref.get("prompt_ids") + ",\"max_tokens\":"
                + TestServer.maxTokens(ref) + ",\"temperature\":0}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/text").asText()).isEqualTo(TestServer.continuation(ref));
        assertThat(r.json().at("/usage/prompt_tokens").asInt()).isEqualTo(ref.get("prompt_ids").size());
        Reply bad = post(server, "/v1/completions", "{\"model\":\"stories\",\"prompt\":[1,70000],\"max_tokens\":2}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().at("/error/message").asText()).contains("70000");
    }

    @Test
    void aPromptLongerThanTheContextGetsAClear400() throws Exception {
        Reply r = post(server, "/v1/completions", "{\"model\":\"stories\",\"prompt\":" + quote("a ".repeat(700)) + ",\"max_tokens\":5}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(r.json().at("/error/message").asText()).contains("506");
    }

    private static RequestLog.Entry awaitEntry(String requestId, int after) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (RequestLog.Entry e : server.server().requestLog().entries()) {
                if (e.requestId().equals(requestId)) return e;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no finished generation logged for " + requestId);
    }
}
