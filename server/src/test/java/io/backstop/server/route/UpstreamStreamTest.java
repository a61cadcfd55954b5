package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.TestServer;
import io.backstop.server.route.FaultyUpstream.Fault;
import io.backstop.server.route.FaultyUpstream.Mode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Streams from a provider: passed through when healthy, fallen back from invisibly before content, and
 * ended with the documented error event after content — the upstream's own words never reach the client.
 */
class UpstreamStreamTest extends RoutedServerFixture {
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
}
