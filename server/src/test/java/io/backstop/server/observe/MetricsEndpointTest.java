package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: the GenAI semantic-convention instruments and Backstop's own, after known requests. */
class MetricsEndpointTest extends ObservedServerFixture {

    private String metricsAfter(int requests) throws Exception {
        TestServer.awaitState(() -> {
            try {
                return total(get("/metrics").body(), "backstop_requests_total") >= requests;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, requests + " requests counted");
        return get("/metrics").body();
    }

    static double total(String exposition, String name) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    @Test
    void aRemoteAnswerCountsItsTokensDurationAndCostUnderGenAiNames() throws Exception {
        assertThat(chat("smart", false).status()).isEqualTo(200);
        Reply m = get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.header("Content-Type")).startsWith("text/plain");
        String text = metricsAfter(1);

        assertThat(sample(text, "backstop_requests_total", "route=\"smart\"", "target=\"up:gpt-x\"", "outcome=\"ok\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_client_token_usage_sum", "gen_ai_token_type=\"input\"", "gen_ai_provider_name=\"up\"",
                "gen_ai_request_model=\"gpt-x\"", "gen_ai_operation_name=\"chat\"")).isEqualTo(3.0);
        assertThat(sample(text, "gen_ai_client_token_usage_sum", "gen_ai_token_type=\"output\"", "gen_ai_provider_name=\"up\"")).isEqualTo(5.0);
        // the conventions' bucket boundaries: 3 input tokens fall in le=4 but not le=1
        assertThat(sample(text, "gen_ai_client_token_usage_bucket", "gen_ai_token_type=\"input\"", "le=\"4.0\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_client_token_usage_bucket", "gen_ai_token_type=\"input\"", "le=\"1.0\"")).isEqualTo(0.0);
        assertThat(sample(text, "gen_ai_client_operation_duration_seconds_count", "gen_ai_provider_name=\"up\"", "error_type=\"\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_client_operation_duration_seconds_bucket", "gen_ai_provider_name=\"up\"", "le=\"81.92\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_server_request_duration_seconds_count", "gen_ai_request_model=\"smart\"", "gen_ai_response_model=\"gpt-x\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_server_time_to_first_token_seconds_count", "gen_ai_request_model=\"smart\"")).isEqualTo(1.0);
        // 3 × $2/M + 5 × $10/M
        assertThat(sample(text, "backstop_cost_usd_total", "route=\"smart\"", "target=\"up:gpt-x\"")).isCloseTo(0.000056, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(sample(text, "backstop_http_responses_total", "status=\"200\"")).isGreaterThanOrEqualTo(1.0);
    }

    @Test
    void aLocalStreamRecordsTimeToFirstTokenAndTimePerOutputToken() throws Exception {
        Reply r = chat("stories", true);
        assertThat(r.status()).isEqualTo(200);
        String text = metricsAfter(1);
        assertThat(sample(text, "backstop_requests_total", "route=\"stories\"", "target=\"local:stories\"", "outcome=\"ok\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_server_time_to_first_token_seconds_count", "gen_ai_request_model=\"stories\"", "gen_ai_provider_name=\"local\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_server_time_per_output_token_seconds_count", "gen_ai_request_model=\"stories\"")).isEqualTo(1.0);
        assertThat(sample(text, "gen_ai_client_token_usage_sum", "gen_ai_token_type=\"output\"", "gen_ai_provider_name=\"local\"")).isEqualTo(12.0);
        assertThat(sample(text, "backstop_generation_tokens_per_second_count", "model=\"stories\"")).isEqualTo(1.0);
        assertThat(sample(text, "backstop_queue_depth", "model=\"stories\"")).isEqualTo(0.0);
        assertThat(sample(text, "backstop_generations_max_running", "model=\"stories\"")).isEqualTo(2.0);
        assertThat(sample(text, "backstop_generation_queue_seconds_count", "model=\"stories\"")).isEqualTo(1.0);
        assertThat(sample(text, "jvm_memory_used_bytes")).isNotNull();
        assertThat(sample(text, "process_cpu_usage")).isNotNull();
    }

    @Test
    void aRequestWaitingForTheLocalModelIsActiveAndItsQueueTimeIsRecordedOnceServed() throws Exception {
        var model = server.registry().get("stories");
        java.util.concurrent.CompletableFuture<Reply> waiting;
        try (AutoCloseable first = TestServer.holdASlot(model); AutoCloseable second = TestServer.holdASlot(model)) {
            waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return chat("stories", false);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            TestServer.awaitState(() -> active() == 1.0 && model.stats().waiting() == 1, "the request queued behind two held generations");
        }
        assertThat(waiting.get(120, TimeUnit.SECONDS).status()).isEqualTo(200);
        String text = metricsAfter(1);
        assertThat(sample(text, "backstop_requests_active")).isEqualTo(0.0);
        assertThat(sample(text, "backstop_generation_queue_seconds_count", "model=\"stories\"")).isEqualTo(1.0);
        assertThat(sample(text, "backstop_generation_queue_seconds_sum", "model=\"stories\"")).isPositive();
    }

    private double active() {
        try {
            return sample(get("/metrics").body(), "backstop_requests_active");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aFallbackIsCountedFromTheFailedTargetToTheOneThatAnsweredAndTheBreakerOpens() throws Exception {
        assertThat(chat("resilient", false).status()).isEqualTo(200);
        assertThat(chat("resilient", false).status()).isEqualTo(200);
        String text = metricsAfter(2);
        assertThat(sample(text, "backstop_requests_total", "route=\"resilient\"", "target=\"local:stories\"", "outcome=\"fallback\"")).isEqualTo(2.0);
        assertThat(sample(text, "backstop_fallbacks_total", "route=\"resilient\"", "from=\"down:gpt-y\"", "to=\"local:stories\"")).isEqualTo(2.0);
        assertThat(sample(text, "gen_ai_client_operation_duration_seconds_count", "gen_ai_provider_name=\"down\"", "error_type=\"connection_error\"")).isEqualTo(2.0);
        // two consecutive failures open "down"'s breaker (Resilience4j's own binder)
        assertThat(sample(text, "resilience4j_circuitbreaker_state", "name=\"down\"", "state=\"open\"")).isEqualTo(1.0);
        assertThat(sample(text, "resilience4j_circuitbreaker_state", "name=\"up\"", "state=\"closed\"")).isEqualTo(1.0);
    }

    @Test
    void unknownModelsNeverBecomeLabelsAndErrorsAreCountedByStatus() throws Exception {
        assertThat(chat("no-such-model-" + System.nanoTime(), false).status()).isEqualTo(404);
        TestServer.awaitState(() -> {
            try {
                return sample(get("/metrics").body(), "backstop_http_responses_total", "status=\"404\"") != null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "the 404 counted");
        assertThat(get("/metrics").body()).doesNotContain("no-such-model");
    }

    @Test
    void promtoolAcceptsTheExposition() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/promtool")), "promtool (Debian's prometheus package) is not installed");
        chat("smart", true);
        chat("resilient", false);
        String text = metricsAfter(2);
        Process p = new ProcessBuilder("/usr/bin/promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
