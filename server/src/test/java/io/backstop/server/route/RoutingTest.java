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

/**
 * Routes over a real, misbehaving upstream on loopback, with the real local model as the fallback. Time
 * that routing decides by (backoff, breaker, cool-down) is a {@link ManualClock}: tests move it and read
 * the waits it was asked for, so nothing here depends on the machine's speed.
 */
class RoutingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final JsonNode REF = TestServer.references().stream()
            .filter(r -> r.get("prompt").asText().startsWith("Lily")).findFirst().orElseThrow();
    private static final RouteConfig.Target UP = new RouteConfig.Target("up", "gpt-x", null, null);
    private static final RouteConfig.Target LOCAL = new RouteConfig.Target("local", "stories", null, null);
    private static final RouteConfig.Target SLOW = new RouteConfig.Target("slow", "gpt-x", null, null);
    /** Hedges fire after this long; only used where the remote cannot answer first (it hangs or is held). */
    private static final Duration HEDGE = Duration.ofMillis(300);

    private FaultyUpstream upstream;
    private FaultyUpstream second;
    private ManualClock clock;
    private TestServer server;
    private RouteTable routes;

    /** Small, exact numbers: jitter is fixed at 1, so backoff waits are 100 ms then 200 ms. */
    static ProviderConfig provider(String name, String baseUrl) {
        return provider(name, baseUrl, Duration.ofMillis(700), Duration.ofMillis(400), Duration.ofSeconds(8));
    }

    static ProviderConfig provider(String name, String baseUrl, Duration firstByte, Duration idle, Duration deadline) {
        return new ProviderConfig(name, URI.create(baseUrl), "UP_KEY", Duration.ofMillis(500), firstByte,
                idle, deadline, new ProviderConfig.RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(400)),
                new ProviderConfig.BreakerPolicy(50, 10, 10, 3, Duration.ofMillis(800), 1), false);
    }

    @BeforeEach
    void start() throws Exception {
        upstream = new FaultyUpstream();
        second = new FaultyUpstream(List.of("Second", " opinion"));
        clock = new ManualClock();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        // "slow" and "slow2" wait a minute for a first byte or the next chunk: in the hedging tests only a cancel closes their calls
        Duration minute = Duration.ofMinutes(1);
        List<ProviderConfig> providers = List.of(provider("up", upstream.baseUrl()), provider("down", "http://127.0.0.1:" + closedPort + "/v1"),
                provider("slow", upstream.baseUrl(), minute, minute, minute), provider("slow2", second.baseUrl(), minute, minute, minute));
        Duration wait = RouteConfig.DEFAULT_MAX_RETRY_WAIT;
        List<RouteConfig> routeConfigs = List.of(
                new RouteConfig("smart", List.of(UP, LOCAL), null, wait), // no hedging: the chain moves on failures only
                new RouteConfig("remote-only", List.of(UP)),
                new RouteConfig("resilient", List.of(new RouteConfig.Target("down", "gpt-y", null, null), LOCAL)),
                new RouteConfig("capped", List.of(new RouteConfig.Target("up", "gpt-x", 7, 0.0))),
                new RouteConfig("patient", List.of(UP, LOCAL), null, Duration.ofSeconds(2)),
                new RouteConfig("hedged", List.of(SLOW, LOCAL), HEDGE, wait),
                new RouteConfig("hedged-remote", List.of(SLOW, new RouteConfig.Target("slow2", "gpt-z", null, null)), HEDGE, wait));
        ServerConfig config = TestServer.config(4, 64).withRouting(providers, routeConfigs);
        routes = new RouteTable(providers, routeConfigs, Map.of("UP_KEY", "sk-test-123"), () -> 1.0, clock);
        server = TestServer.startRouted(config, routes);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        upstream.close();
        second.close();
    }

    record Reply(int status, Map<String, List<String>> headers, String body) {
        String header(String n) {
            return headers.getOrDefault(n.toLowerCase(), List.of()).stream().findFirst().orElse(null);
        }

        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static String chatBody(String model, boolean stream) throws Exception {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(REF.get("prompt").asText())
                + "}],\"temperature\":0,\"max_tokens\":" + TestServer.maxTokens(REF) + ",\"top_k\":5,\"stream\":" + stream + "}";
    }

    HttpRequest chatRequest(String model, boolean stream) throws Exception {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chatBody(model, stream))).build();
    }

    Reply chat(String model, boolean stream) throws Exception {
        return reply(HTTP.send(chatRequest(model, stream), HttpResponse.BodyHandlers.ofString()));
    }

    static Reply reply(HttpResponse<String> r) {
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    Reply get(String path) throws Exception {
        return reply(HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString()));
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

    private String content(Reply r, boolean stream) throws Exception {
        return stream ? streamedContent(r.body()) : r.json().at("/choices/0/message/content").asText();
    }

    private JsonNode provider(String name) throws Exception {
        for (JsonNode p : get("/v1/providers").json().get("data")) if (p.get("id").asText().equals(name)) return p;
        throw new AssertionError("no provider " + name);
    }

    /** The last three events of a stream that broke after content: error event, final chunk, [DONE]. */
    private static void assertEndsAsInterrupted(String body) throws Exception {
        List<String> events = new ArrayList<>(List.of(body.split("\n\n")));
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        JsonNode error = JSON.readTree(events.get(events.size() - 3).substring(6));
        assertThat(error.at("/error/code").asText()).isEqualTo("upstream_stream_interrupted");
        JsonNode last = JSON.readTree(events.get(events.size() - 2).substring(6));
        assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("error");
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
    void aRetryAfterWithinTheRoutesPatienceIsHonouredBeforeTheNextAttempt() throws Exception {
        upstream.then(Fault.status(429, "1")); // 1 s: within "patient"'s max_retry_wait_ms of 2 s
        Reply r = chat("patient", false);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(upstream.callCount()).isEqualTo(2);
        assertThat(clock.sleeps()).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void aShortRetryAfterIsWaitedForOnTheDefaultRoute() throws Exception {
        upstream.then(Fault.status(503, "0.2"));
        Reply r = chat("smart", false);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(upstream.callCount()).isEqualTo(2);
        assertThat(clock.sleeps()).containsExactly(Duration.ofMillis(200));
        assertThat(provider("up").get("cooldown_remaining_ms").asLong()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {429, 503})
    void aLongRetryAfterIsNotWaitedForTheProviderCoolsDownAndTheNextTargetAnswersAtOnce(int status) throws Exception {
        upstream.always(Fault.status(status, "10"));
        Reply r = chat("smart", false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(r.json().at("/choices/0/message/content").asText()).isEqualTo(TestServer.continuation(REF));
        assertThat(upstream.callCount()).as("not retried").isEqualTo(1);
        assertThat(clock.sleeps()).as("no wait at all").isEmpty();
        assertThat(routes.provider("up").guard().state()).as("a pause is not ill health").isEqualTo(CircuitBreaker.State.CLOSED);

        JsonNode up = provider("up");
        assertThat(up.get("available").asBoolean()).isFalse();
        assertThat(up.get("cooldown_remaining_ms").asLong()).isEqualTo(10_000);
        assertThat(up.get("cooldown_until").asText()).isEqualTo(clock.instant().plusSeconds(10).toString());

        clock.advance(Duration.ofSeconds(4));
        assertThat(chat("smart", true).header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(upstream.callCount()).as("no call while cooling down").isEqualTo(1);
        Reply unavailable = chat("remote-only", false);
        assertThat(unavailable.status()).isEqualTo(503);
        assertThat(unavailable.json().at("/error/code").asText()).isEqualTo("providers_unavailable");
        assertThat(unavailable.json().at("/error/message").asText()).contains("up skipped: cooling down for 6.0 s");
        assertThat(unavailable.header("Retry-After")).isEqualTo("6");
        assertThat(upstream.callCount()).isEqualTo(1);

        upstream.always(Fault.ok());
        clock.advance(Duration.ofSeconds(6));
        assertThat(provider("up").get("available").asBoolean()).isTrue();
        assertThat(chat("smart", false).header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(upstream.callCount()).isEqualTo(2);
    }

    @Test
    void retryableFailuresAreRetriedWithExponentialBackoffThenTheLocalModelAnswers() throws Exception {
        upstream.always(Fault.status(503));
        Reply r = chat("smart", false);
        assertThat(upstream.callCount()).isEqualTo(3);
        assertThat(clock.sleeps()).as("jitter fixed at 1: initial, then doubled").containsExactly(Duration.ofMillis(100), Duration.ofMillis(200));
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
        List<Duration> backoff = clock.sleeps();

        Reply skipped = chat("smart", false); // however long the local answer takes, the clock stands still
        assertThat(upstream.callCount()).as("no network call while open").isEqualTo(3);
        assertThat(clock.sleeps()).as("skipping waits for nothing").isEqualTo(backoff);
        assertThat(skipped.header("X-Backstop-Provider")).isEqualTo("local");
        Reply unavailable = chat("remote-only", false);
        assertThat(unavailable.status()).isEqualTo(503);
        assertThat(unavailable.header("Retry-After")).isNotNull();
        assertThat(provider("up").get("breaker").asText()).isEqualTo("open");

        upstream.always(Fault.ok());
        clock.advance(Duration.ofMillis(900)); // open_ms is 800: the next call is a half-open probe
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
    void aNonStreamingAnswerThatStallsAfterItsHeadersHitsTheIdleTimeoutNotTheDeadline() throws Exception {
        upstream.always(Fault.of(Mode.STALL_MID_BODY));
        Reply r = chat("remote-only", false);
        // the idle timeout (400 ms) ends each attempt, so all 3 fit in the 8 s deadline; waiting on the deadline would allow one
        assertThat(upstream.callCount()).isEqualTo(3);
        assertThat(upstream.awaitClientClosed(3)).isTrue();
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.json().at("/error/message").asText()).contains("up answer idle for more than 400 ms");
        assertThat(r.body()).doesNotContain("Hello");

        upstream.reset();
        upstream.always(Fault.of(Mode.STALL_MID_BODY));
        Reply fallback = chat("smart", false);
        assertThat(fallback.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(fallback.json().at("/choices/0/message/content").asText()).isEqualTo(TestServer.continuation(REF));
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

    @Test
    void aStreamThatOpensWithAnErrorEventFallsBackWithoutShowingIt() throws Exception {
        upstream.always(Fault.of(Mode.ERROR_BEFORE_CONTENT));
        Reply r = chat("smart", true);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(streamedContent(r.body())).isEqualTo(TestServer.continuation(REF));
        assertThat(r.body()).doesNotContain(FaultyUpstream.SECRET_BODY);
    }

    @Test
    void aResetAfterTheFirstContentEndsTheStreamWithAnErrorEventAndNoDuplicateText() throws Exception {
        upstream.always(Fault.of(Mode.RESET_MID_STREAM));
        HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(chatRequest("smart", true), HttpResponse.BodyHandlers.ofLines());
        StringBuilder body = new StringBuilder();
        StringBuilder seen = new StringBuilder();
        for (String line : (Iterable<String>) r.body()::iterator) {
            body.append(line).append('\n');
            if (line.startsWith("data: {")) {
                seen.append(JSON.readTree(line.substring(6)).at("/choices/0/delta/content").asText(""));
                if (seen.toString().equals("Hello from")) upstream.release(); // the client has the content: now reset
            }
        }
        assertThat(r.headers().firstValue("X-Backstop-Provider")).hasValue("up");
        assertThat(upstream.callCount()).as("no retry once content was sent").isEqualTo(1);
        assertThat(streamedContent(body.toString())).isEqualTo("Hello from");
        assertEndsAsInterrupted(body.toString());
    }

    @Test
    void aStallAfterTheFirstContentEndsTheStreamWithAnErrorEventAndNoDuplicateText() throws Exception {
        upstream.always(Fault.of(Mode.STALL_MID_STREAM));
        Reply r = chat("smart", true);
        assertThat(upstream.callCount()).as("no retry once content was sent").isEqualTo(1);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(streamedContent(r.body())).isEqualTo("Hello from");
        assertEndsAsInterrupted(r.body());
        assertThat(upstream.awaitClientClosed(1)).as("the stalled connection is closed").isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ERROR_AFTER_CONTENT", "GARBAGE_AFTER_CONTENT", "LONG_LINE_AFTER_CONTENT"})
    void anUpstreamErrorOrMalformedEventAfterContentNeverReachesTheClientVerbatim(String mode) throws Exception {
        upstream.always(Fault.of(Mode.valueOf(mode)));
        Reply r = chat("smart", true);
        assertThat(r.body()).doesNotContain(FaultyUpstream.SECRET_BODY);
        assertThat(streamedContent(r.body())).isEqualTo("Hello from");
        assertEndsAsInterrupted(r.body());
        assertThat(upstream.callCount()).isEqualTo(1);
        assertThat(routes.provider("up").guard().breaker().getMetrics().getNumberOfFailedCalls()).as("counted against the provider").isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aHedgeLetsTheLocalModelAnswerWhileTheRemoteHangsAndClosesTheRemoteConnection(boolean stream) throws Exception {
        upstream.always(Fault.of(Mode.HANG_BEFORE_FIRST_BYTE));
        Reply r = chat("hedged", stream);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(content(r, stream)).isEqualTo(TestServer.continuation(REF));
        assertThat(upstream.awaitClientClosed(1)).as("the losing remote call is cancelled").isTrue();
        assertThat(upstream.callCount()).isEqualTo(1);
        assertThat(routes.provider("slow").guard().breaker().getMetrics().getNumberOfFailedCalls()).as("losing a race is no failure").isZero();
    }

    @Test
    void nothingOfAStreamThatLosesTheRaceReachesTheClient() throws Exception {
        upstream.always(Fault.of(Mode.HOLD)); // headers and a role event, then nothing until released
        Reply r = chat("hedged", true);
        upstream.release();
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(streamedContent(r.body())).isEqualTo(TestServer.continuation(REF));
        assertThat(r.body()).doesNotContain("gpt-x").doesNotContain("up-1");
        assertThat(upstream.awaitClientClosed(1)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void whenTheSlowTargetAnswersFirstAfterAllTheHedgeIsCancelled(boolean stream) throws Exception {
        upstream.always(Fault.of(Mode.HOLD));
        second.always(Fault.of(Mode.HOLD));
        CompletableFuture<HttpResponse<String>> pending = HTTP.sendAsync(chatRequest("hedged-remote", stream), HttpResponse.BodyHandlers.ofString());
        second.awaitCalls(1); // the hedge has started the second target
        upstream.release(); // now the first one produces content first
        Reply r = reply(pending.get());
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("slow");
        assertThat(content(r, stream)).isEqualTo(FaultyUpstream.CONTENT);
        assertThat(second.awaitClientClosed(1)).as("the hedge's connection is closed").isTrue();
        second.release();
        assertThat(r.body()).doesNotContain("Second").doesNotContain("opinion");
    }

    @Test
    void everyFallbackIsLoggedAsAWarningWithRequestRouteTargetsAndReason() throws Exception {
        upstream.always(Fault.status(401));
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions")).header("X-Request-Id", "fallback-log-1")
                    .POST(HttpRequest.BodyPublishers.ofString(chatBody("smart", false))).build(), HttpResponse.BodyHandlers.ofString());
        } finally {
            System.setErr(original);
        }
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines().filter(l -> l.contains("fallback-log-1")))
                .anySatisfy(l -> assertThat(l).contains("WARN").contains("route 'smart'").contains("up:gpt-x")
                        .contains("up answered HTTP 401").contains("falling back to local:stories"));
    }

    @Test
    void perTargetOverridesAreSentUpstream() throws Exception {
        chat("capped", false);
        JsonNode sent = upstream.calls().get(0).body();
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(7);
        assertThat(sent.get("temperature").asDouble()).isZero();
    }

    @Test
    void aBurstWithTheProviderDownGetsEveryRequestAnsweredAndOpensTheBreaker() throws Exception {
        String body = "{\"model\":\"resilient\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":20,\"temperature\":0}";
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var c : calls) {
            HttpResponse<String> r = c.get();
            assertThat(r.statusCode()).as("answered, never a deadline failure").isIn(200, 429);
            JsonNode j = JSON.readTree(r.body());
            if (r.statusCode() == 200) assertThat(j.at("/choices/0/message/content").asText()).isNotEmpty();
            else assertThat(j.at("/error/message").asText()).isNotEmpty();
        }
        assertThat(routes.provider("down").guard().state()).as("later requests skip the dead provider").isEqualTo(CircuitBreaker.State.OPEN);
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

    @Test
    void providersListsEveryProviderWithItsBreakerAndCooldown() throws Exception {
        JsonNode data = get("/v1/providers").json().get("data");
        assertThat(data).extracting(p -> p.get("id").asText()).containsExactly("up", "down", "slow", "slow2");
        JsonNode up = data.get(0);
        assertThat(up.get("object").asText()).isEqualTo("provider");
        assertThat(up.get("available").asBoolean()).isTrue();
        assertThat(up.get("breaker").asText()).isEqualTo("closed");
        assertThat(up.get("cooldown_remaining_ms").asLong()).isZero();
        assertThat(up.get("cooldown_until").isNull()).isTrue();
    }
}
