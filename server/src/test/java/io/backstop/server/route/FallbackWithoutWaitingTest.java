package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.TestServer;
import io.backstop.server.route.FaultyUpstream.Fault;
import io.backstop.server.route.FaultyUpstream.Mode;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A route does not wait on a provider that is slow or asks for a pause: a long Retry-After cools it down,
 * a hedge starts the next target beside a silent one and the loser is stopped, and a whole answer that
 * stalls fails at the idle timeout.
 */
class FallbackWithoutWaitingTest extends RoutedServerFixture {
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
    void aNonStreamingAnswerThatStallsAfterItsHeadersHitsTheIdleTimeoutNotTheDeadline() throws Exception {
        upstream.always(Fault.of(Mode.STALL_MID_BODY));
        Reply r = chat("remote-only", false);
        // the idle timeout (1.5 s) ends each attempt, so all 3 fit in the 10 s deadline; waiting on the deadline would allow one
        assertThat(upstream.callCount()).isEqualTo(3);
        assertThat(upstream.awaitClientClosed(3)).isTrue();
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.json().at("/error/message").asText()).contains("up answer idle for more than 1500 ms");
        assertThat(r.body()).doesNotContain("Hello");

        upstream.reset();
        upstream.always(Fault.of(Mode.STALL_MID_BODY));
        Reply fallback = chat("smart", false);
        assertThat(fallback.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(fallback.json().at("/choices/0/message/content").asText()).isEqualTo(TestServer.continuation(REF));
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
