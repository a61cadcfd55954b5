package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.Main;
import io.backstop.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code backstop eval} against the real server: route "smart" answers "Hello from the remote model"
 * (3 tokens in, 5 out, $0.000056), route "judge" gives score 4, and "stories" is the local test model.
 */
class EvalCommandTest extends ObservedServerFixture {

    private Path cases(String... lines) throws Exception {
        Path f = dir.resolve("cases-" + System.nanoTime() + ".jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private int eval(Path data, String... more) {
        String[] base = {"eval", "--data", data.toString(), "--url", server.baseUrl(), "--out", dir.resolve("report").toString()};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return Main.run(args);
    }

    private JsonNode report() throws Exception {
        return JSON.readTree(dir.resolve("report.json").toFile());
    }

    @Test
    void everyKindOfAssertionIsCheckedAndSummarized() throws Exception {
        Path data = cases(
                "{\"id\":\"text\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"contains\",\"value\":\"remote\"},{\"type\":\"not_contains\",\"value\":\"error\"},"
                        + "{\"type\":\"regex\",\"value\":\"^Hello\\\\b\"},{\"type\":\"equals\",\"value\":\"Hello from the remote model\"}]}",
                "{\"id\":\"limits\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"max_latency_ms\",\"value\":600000},{\"type\":\"max_cost_usd\",\"value\":0.0001}]}",
                "{\"id\":\"too-dear\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"max_cost_usd\",\"value\":0.00001}]}",
                "{\"id\":\"not-json\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\"}}]}",
                "{\"id\":\"judged\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"judge\",\"rubric\":\"Greets the user\",\"threshold\":4}]}",
                "{\"id\":\"judged-strictly\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"judge\",\"rubric\":\"Greets the user\",\"threshold\":5}]}");
        assertThat(eval(data, "--route", "smart", "--judge", "judge")).isZero(); // no --min-pass-rate: the run itself does not fail

        JsonNode r = report();
        assertThat(r.at("/summary/cases").asInt()).isEqualTo(6);
        assertThat(r.at("/summary/passed").asInt()).isEqualTo(3);
        assertThat(r.at("/summary/pass_rate").asDouble()).isEqualTo(0.5);
        assertThat(r.at("/summary/tokens_out").asInt()).isEqualTo(30);
        assertThat(r.at("/summary/cost_usd").asDouble()).isCloseTo(6 * 0.000056, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.at("/summary/latency_ms_p95").asDouble()).isGreaterThanOrEqualTo(r.at("/summary/latency_ms_p50").asDouble());
        JsonNode cases = r.get("cases");
        assertThat(cases.get(0).get("pass").asBoolean()).isTrue();
        assertThat(cases.get(0).get("target").asText()).isEqualTo("up:gpt-x");
        assertThat(cases.get(1).get("pass").asBoolean()).isTrue();
        assertThat(cases.get(2).get("pass").asBoolean()).isFalse();
        assertThat(cases.get(3).get("pass").asBoolean()).isFalse();
        assertThat(cases.get(4).get("pass").asBoolean()).isTrue();
        assertThat(cases.get(4).at("/checks/0/detail").asText()).startsWith("score 4");
        assertThat(cases.get(5).get("pass").asBoolean()).isFalse();
        assertThat(Files.readString(dir.resolve("report.md"))).contains("| too-dear | **fail** |", "3/6 passed");
    }

    @Test
    void pairwiseJudgesBothOrdersSoPositionBiasCancels() throws Exception {
        Path data = cases("{\"id\":\"ab\",\"input\":\"Say hello\",\"assert\":[{\"type\":\"pairwise\",\"against\":\"stories\",\"rubric\":\"Greets the user\"}]}");
        int before = judgeRequests.size();
        // the judge always prefers the first answer (score 4): in both orders, so the preference is 3 (a tie), which passes
        assertThat(eval(data, "--route", "smart", "--judge", "judge", "--min-pass-rate", "1")).isZero();
        assertThat(judgeRequests.size() - before).isEqualTo(2);
        String first = judgeRequests.get(before).at("/messages/1/content").asText();
        String second = judgeRequests.get(before + 1).at("/messages/1/content").asText();
        assertThat(first.indexOf("Hello from the remote model")).isLessThan(first.indexOf("ANSWER B"));
        assertThat(second.indexOf("Hello from the remote model")).isGreaterThan(second.indexOf("ANSWER B"));
        assertThat(report().at("/cases/0/checks/0/detail").asText()).startsWith("preference 3.0");
    }

    @Test
    void aPassRateBelowTheMinimumExitsOne() throws Exception {
        Path data = cases("{\"input\":\"Say hello\",\"assert\":[{\"type\":\"contains\",\"value\":\"remote\"}]}",
                "{\"input\":\"Say hello\",\"assert\":[{\"type\":\"contains\",\"value\":\"goodbye\"}]}");
        assertThat(eval(data, "--route", "smart", "--min-pass-rate", "0.5")).isZero();
        assertThat(eval(data, "--route", "smart", "--min-pass-rate", "0.75")).isEqualTo(1);
    }

    @Test
    void badInputExitsTwoAndAnUnreachableServerExitsOne() throws Exception {
        Path ok = cases("{\"input\":\"Hi\",\"assert\":[{\"type\":\"contains\",\"value\":\"x\"}]}");
        assertThat(eval(cases("{\"input\":\"Hi\",\"assert\":[{\"type\":\"smells_nice\"}]}"), "--route", "smart")).isEqualTo(2);
        assertThat(eval(cases("{\"input\":\"Hi\"}"), "--route", "smart")).isEqualTo(2);
        assertThat(eval(cases("not json"), "--route", "smart")).isEqualTo(2);
        assertThat(eval(cases("{\"input\":\"Hi\",\"assert\":[{\"type\":\"judge\",\"rubric\":\"r\"}]}"), "--route", "smart")).isEqualTo(2); // no --judge
        assertThat(eval(ok, "--route", "smart", "--min-pass-rate", "2")).isEqualTo(2);
        assertThat(eval(dir.resolve("missing.jsonl"), "--route", "smart")).isEqualTo(2);
        assertThat(Main.run("eval", "--data", ok.toString(), "--route", "smart", "--url", "http://127.0.0.1:1", "--out", dir.resolve("x").toString()))
                .isEqualTo(1);
    }

    @Test
    void theExampleSuitePassesAgainstTheLocalTestModel() throws Exception {
        Path suite = Path.of(System.getProperty("backstop.root", ".."), "models/eval/stories.jsonl");
        assertThat(eval(suite, "--route", TestServer.MODEL, "--min-pass-rate", "1")).isZero();
        assertThat(report().at("/summary/passed").asInt()).isEqualTo(3);
    }
}
