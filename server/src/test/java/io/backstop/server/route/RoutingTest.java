package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.TestServer;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.route.FaultyUpstream.Fault;
import io.backstop.server.route.FaultyUpstream.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routes over a real, misbehaving upstream on loopback, with the real local model as the fallback. */
class RoutingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final JsonNode REF = TestServer.references().stream()
            .filter(r -> r.get("prompt").asText().startsWith("Lily")).findFirst().orElseThrow();

    private FaultyUpstream upstream;
    private TestServer server;
    private RouteTable routes;

    /** Small, exact numbers: jitter is fixed at 1, so backoff waits are 100 ms then 200 ms. */
    static ProviderConfig provider(String name, String baseUrl) {
        return new ProviderConfig(name, URI.create(baseUrl), "UP_KEY", Duration.ofMillis(500), Duration.ofMillis(700),
                Duration.ofMillis(400), Duration.ofSeconds(8), new ProviderConfig.RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(400)),
                new ProviderConfig.BreakerPolicy(50, 10, 10, 3, Duration.ofMillis(800), 1), false);
    }

    @BeforeEach
    void start() throws Exception {
        upstream = new FaultyUpstream();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        List<ProviderConfig> providers = List.of(provider("up", upstream.baseUrl()), provider("down", "http://127.0.0.1:" + closedPort + "/v1"));
        List<RouteConfig> routeConfigs = List.of(
                new RouteConfig("smart", List.of(new RouteConfig.Target("up", "gpt-x", null, null), new RouteConfig.Target("local", "stories", null, null))),
                new RouteConfig("remote-only", List.of(new RouteConfig.Target("up", "gpt-x", null, null))),
                new RouteConfig("resilient", List.of(new RouteConfig.Target("down", "gpt-y", null, null), new RouteConfig.Target("local", "stories", null, null))),
                new RouteConfig("capped", List.of(new RouteConfig.Target("up", "gpt-x", 7, 0.0))));
        ServerConfig config = TestServer.config(4, 64).withRouting(providers, routeConfigs);
        routes = new RouteTable(providers, routeConfigs, Map.of("UP_KEY", "sk-test-123"), () -> 1.0);
        server = TestServer.startRouted(config, routes);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        upstream.close();
    }

    record Reply(int status, Map<String, List<String>> headers, String body) {
        String header(String n) {
            return headers.getOrDefault(n.toLowerCase(), List.of()).stream().findFirst().orElse(null);
        }

        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    Reply chat(String model, boolean stream) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(REF.get("prompt").asText())
                + "}],\"temperature\":0,\"max_tokens\":" + TestServer.maxTokens(REF) + ",\"top_k\":5,\"stream\":" + stream + "}";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    static String streamedContent(String body) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String block : body.split("\n\n")) {
            if (!block.startsWith("data: {")) continue;
            JsonNode e = JSON.readTree(block.substring(6));
            for (JsonNode c : e.path("choices")) sb.append(c.path("delta").path("content").asText(""));
        }
        return sb.toString();
    }

    private List<Long> gapsMillis() {
        List<FaultyUpstream.Call> calls = upstream.calls();
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < calls.size(); i++) gaps.add((calls.get(i).nanos() - calls.get(i - 1).nanos()) / 1_000_000);
        return gaps;
    }

    @Test
    void aHealthyProviderServesAndTheResponseSaysWho() throws Exception {
        Reply r = chat("smart", false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(FaultyUpstream.CONTENT);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(r.header("X-Backstop-Model")).isEqualTo("gpt-x");
        FaultyUpstream.Call call = upstream.calls().get(0);
        assertThat(call.path()).isEqualTo("/v1/chat/completions");
        assertThat(call.authorization()).isEqualTo("Bearer sk-test-123");
        assertThat(call.body().get("model").asText()).isEqualTo("gpt-x");
        assertThat(call.body().has("top_k")).as("extras stripped for OpenAI-strict providers").isFalse();
        assertThat(call.body().get("temperature").asDouble()).isZero();
    }

    @Test
    void retryAfterIsHonouredBeforeTheNextAttempt() throws Exception {
        upstream.then(Fault.status(429, "1"));
        Reply r = chat("smart", false);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(upstream.callCount()).isEqualTo(2);
        assertThat(gapsMillis().get(0)).isGreaterThanOrEqualTo(1000);
    }

    @Test
    void retryableFailuresAreRetriedWithExponentialBackoffThenTheLocalModelAnswers() throws Exception {
        upstream.always(Fault.status(503));
        Reply r = chat("smart", false);
        assertThat(upstream.callCount()).isEqualTo(3);
        List<Long> gaps = gapsMillis();
        // waits are 100 then 200 ms (jitter fixed at 1); the upper bounds only leave room for a slow machine
        assertThat(gaps.get(0)).isBetween(100L, 1500L);
        assertThat(gaps.get(1)).isBetween(200L, 1600L);
        assertThat(gaps.get(1)).isGreaterThan(gaps.get(0));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(r.header("X-Backstop-Model")).isEqualTo("stories");
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(TestServer.continuation(REF));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 422})
    void clientErrorsAreNeverRetriedAndAreTranslated(int status) throws Exception {
        upstream.always(Fault.status(status));
        Reply r = chat("remote-only", false);
        assertThat(upstream.callCount()).isEqualTo(1);
        assertThat(r.status()).isEqualTo(502);
        JsonNode err = r.json().get("error");
        assertThat(err.get("message").asText()).contains("up answered HTTP " + status).contains("remote-only");
        assertThat(r.body()).doesNotContain(FaultyUpstream.SECRET_BODY).doesNotContain("sk-test-123");
        assertThat(routes.provider("up").guard().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void clientErrorsStillFallBackToTheLocalModel() throws Exception {
        upstream.always(Fault.status(401));
        Reply r = chat("smart", false);
        assertThat(upstream.callCount()).isEqualTo(1);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
    }

    @Test
    void theBreakerOpensShortCircuitsHalfOpensAndRecovers() throws Exception {
        upstream.always(Fault.status(500));
        chat("smart", false); // 3 attempts = 3 consecutive failures: the breaker opens
        assertThat(upstream.callCount()).isEqualTo(3);
        assertThat(routes.provider("up").guard().state()).isEqualTo(CircuitBreaker.State.OPEN);

        long start = System.nanoTime();
        Reply skipped = chat("smart", false);
        assertThat(upstream.callCount()).as("no network call while open").isEqualTo(3);
        assertThat(skipped.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat((System.nanoTime() - start) / 1e6).as("ms").isLessThan(2000);
        Reply unavailable = chat("remote-only", false);
        assertThat(unavailable.status()).isEqualTo(503);
        assertThat(unavailable.header("Retry-After")).isNotNull();

        upstream.always(Fault.ok());
        Thread.sleep(900); // open_ms is 800: the next call is a half-open probe
        Reply probe = chat("smart", false);
        assertThat(upstream.callCount()).isEqualTo(4);
        assertThat(probe.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(routes.provider("up").guard().state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aDownProviderFallsBackToTheLocalReferenceOutput() throws Exception {
        Reply r = chat("resilient", false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(TestServer.continuation(REF));
    }

    @Test
    void malformedJsonAndWrongContentTypeAreNotRetriedButFallBack() throws Exception {
        for (Mode m : List.of(Mode.MALFORMED_JSON, Mode.WRONG_CONTENT_TYPE)) {
            upstream.reset();
            upstream.always(Fault.of(m));
            Reply r = chat("smart", false);
            assertThat(upstream.callCount()).as(m.name()).isEqualTo(1);
            assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
            assertThat(r.body()).doesNotContain(FaultyUpstream.SECRET_BODY);
        }
    }

    @Test
    void streamsPassThroughFromAHealthyProvider() throws Exception {
        Reply r = chat("smart", true);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(streamedContent(r.body())).isEqualTo(String.join("", FaultyUpstream.pieces()));
        assertThat(r.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void aStreamThatHangsBeforeItsFirstByteFallsBackToTheLocalStream() throws Exception {
        upstream.always(Fault.of(Mode.HANG_BEFORE_FIRST_BYTE));
        Reply r = chat("smart", true);
        assertThat(upstream.callCount()).isEqualTo(3);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(streamedContent(r.body())).isEqualTo(TestServer.continuation(REF));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RESET_MID_STREAM", "STALL_MID_STREAM"})
    void aFailureAfterTheFirstContentEndsTheStreamWithAnErrorEventAndNoDuplicateText(String mode) throws Exception {
        upstream.always(Fault.of(Mode.valueOf(mode)));
        Reply r = chat("smart", true);
        assertThat(upstream.callCount()).as("no retry once content was sent").isEqualTo(1);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(streamedContent(r.body())).isEqualTo("Hello from");
        List<String> events = new ArrayList<>(List.of(r.body().split("\n\n")));
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        JsonNode error = JSON.readTree(events.get(events.size() - 3).substring(6));
        assertThat(error.at("/error/code").asText()).isEqualTo("upstream_stream_interrupted");
        JsonNode last = JSON.readTree(events.get(events.size() - 2).substring(6));
        assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("error");
    }

    @Test
    void perTargetOverridesAreSentUpstream() throws Exception {
        chat("capped", false);
        JsonNode sent = upstream.calls().get(0).body();
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(7);
        assertThat(sent.get("temperature").asDouble()).isZero();
    }

    @Test
    void aBurstWithTheProviderDownGetsEveryRequestAnsweredWithinItsDeadline() throws Exception {
        String body = "{\"model\":\"resilient\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":20,\"temperature\":0}";
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 16; i++) {
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var c : calls) {
            HttpResponse<String> r = c.get();
            assertThat(r.statusCode()).isIn(200, 429);
            JsonNode j = JSON.readTree(r.body());
            if (r.statusCode() == 200) assertThat(j.at("/choices/0/message/content").asText()).isNotEmpty();
            else assertThat(j.at("/error/message").asText()).isNotEmpty();
        }
        assertThat((System.nanoTime() - start) / 1e9).as("seconds, provider deadline is 8").isLessThan(8 + 10);
    }

    @Test
    void aLocalFallbackEchoesATokenIdPromptAsText() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"resilient\",\"prompt\":[1,291,376,400],\"echo\":true,\"max_tokens\":2,\"temperature\":0}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("X-Backstop-Provider")).hasValue("local");
        assertThat(JSON.readTree(r.body()).at("/choices/0/text").asText()).startsWith("The little do");
    }

    @Test
    void modelsListsRoutesAndLocalModels() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
        List<String> ids = new ArrayList<>();
        JSON.readTree(r.body()).get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertThat(ids).contains("smart", "remote-only", "resilient", "capped", "stories");
    }
}
