package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.TestServer;
import io.backstop.server.observe.judge.JudgingConfig;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Route "smart" has every answer (sample rate 1) judged by route "judge" against a rubric, on a queue of
 * one place with one worker: answers are never held back, and a sample that finds the queue full is dropped and counted.
 */
class OnlineJudgeTest extends ObservedServerFixture {
    private final CountDownLatch hold = new CountDownLatch(1);
    private volatile boolean holding;

    @Override
    UnaryOperator<ObserveConfig> observe() {
        return o -> o.withJudging(new JudgingConfig(1, 1, Map.of("smart",
                new JudgingConfig.RouteJudge("judge", 1.0, "The answer greets the user.", 100))));
    }

    @Override
    CountDownLatch judgeGate() {
        return holding ? hold : super.judgeGate();
    }

    @Test
    void aSampledAnswerIsJudgedAfterItWasSentAndTheVerdictIsRecorded() throws Exception {
        assertThat(chat("smart", false).status()).isEqualTo(200);
        TestServer.awaitState(() -> {
            try {
                return accessLines(1).stream().anyMatch(l -> l.path("event").asText().equals(GenAi.EVALUATION_EVENT));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "the verdict");
        JsonNode verdict = accessLines(2).stream().filter(l -> l.path("event").asText().equals(GenAi.EVALUATION_EVENT)).findFirst().orElseThrow();
        assertThat(verdict.get("gen_ai.evaluation.score.value").asDouble()).isEqualTo(4.0);
        assertThat(verdict.get("gen_ai.evaluation.score.label").asText()).isEqualTo("pass");
        assertThat(verdict.get("route").asText()).isEqualTo("smart");
        assertThat(verdict.get("judge").asText()).isEqualTo("judge");
        assertThat(verdict.has("gen_ai.evaluation.explanation")).isFalse(); // the reason may quote the answer: content logging is off

        // the judge was asked for constrained JSON, with the rubric, the question and the answer
        JsonNode asked = judgeRequests.get(0);
        assertThat(asked.at("/response_format/type").asText()).isEqualTo("json_schema");
        assertThat(asked.at("/response_format/json_schema/schema/required").toString()).contains("score", "pass", "reason");
        String prompt = asked.at("/messages/1/content").asText();
        assertThat(prompt).contains("The answer greets the user.", "Lily went to the park", "Hello from the remote model");

        String metrics = get("/metrics").body();
        assertThat(sample(metrics, "backstop_judge_verdicts_total", "route=\"smart\"", "result=\"pass\"")).isEqualTo(1.0);
        assertThat(sample(metrics, "backstop_judge_score_sum", "route=\"smart\"")).isEqualTo(4.0);
        JsonNode stats = get("/stats").json().get("judge");
        assertThat(stats.get("judged").asInt()).isEqualTo(1);
        assertThat(stats.get("mean_score").asDouble()).isEqualTo(4.0);
    }

    @Test
    void aVerdictOutsideTheSchemaIsCountedAsAnError() throws Exception {
        verdict = "{\"score\":9,\"pass\":true,\"reason\":\"x\"}";
        assertThat(chat("smart", false).status()).isEqualTo(200);
        TestServer.awaitState(() -> {
            try {
                Double n = sample(get("/metrics").body(), "backstop_judge_verdicts_total", "result=\"error\"");
                return n != null && n == 1.0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, "the judge error counted");
    }

    @Test
    void whenTheJudgeIsBusyAnswersGoOutAtOnceAndSamplesBeyondTheQueueAreDropped() throws Exception {
        holding = true;
        try {
            // 1st sample: the worker (held by the judge); 2nd: the one place in the queue; 3rd: dropped
            for (int i = 0; i < 3; i++) assertThat(chat("smart", false).status()).isEqualTo(200);
            TestServer.awaitState(() -> {
                try {
                    return get("/stats").json().at("/judge/dropped").asInt() == 1;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, "one sample dropped");
            assertThat(sample(get("/metrics").body(), "backstop_judge_dropped_total", "route=\"smart\"")).isEqualTo(1.0);
            assertThat(get("/stats").json().at("/judge/queue").asInt()).isEqualTo(1);
        } finally {
            hold.countDown();
        }
        TestServer.awaitState(() -> judgeRequests.size() == 2, "the two queued samples judged");
    }
}
