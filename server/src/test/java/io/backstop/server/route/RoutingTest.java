package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.TestServer;
import io.backstop.server.route.FaultyUpstream.Fault;
import io.backstop.server.route.FaultyUpstream.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A route's chain over a misbehaving provider: retries, backoff, the breaker, translated errors, the local fallback. */
class RoutingTest extends RoutedServerFixture {
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
}
