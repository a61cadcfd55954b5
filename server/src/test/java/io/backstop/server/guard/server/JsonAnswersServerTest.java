package io.backstop.server.guard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.guard.GuardAction;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JSON answers through the real server: when the request asks for JSON ({@code response_format}), an
 * answer that is not that JSON counts as a failed target — the next target of the route answers, else
 * the route's fallback answer, else a 502 that names the violation, never the answer.
 */
class JsonAnswersServerTest {
    private static final String SCHEMA = """
            "response_format":{"type":"json_schema","json_schema":{"name":"verdict","strict":true,"schema":
              {"type":"object","properties":{"answer":{"enum":["yes","no"]}},"required":["answer"],"additionalProperties":false}}}""";
    private static final String VALID = "{\"answer\":\"yes\"}";
    private static final String FALLBACK = "{\"answer\":\"no\"}";

    @TempDir
    static Path dir;
    static GuardedServer s;

    @BeforeAll
    static void start() {
        s = GuardedServer.start(dir, """
                models:
                  - %s}
                routes:
                  - {name: two-remotes, targets: [up:gpt-x, up2:gpt-y]}
                  - {name: local-then-remote, targets: [local:stories, up:gpt-x]}
                  - {name: polite, targets: [up:gpt-x], fallback_answer: '%s'}
                  - {name: strict, targets: [up:gpt-x]}
                """.formatted(GuardedServer.STORIES, FALLBACK));
    }

    @AfterAll
    static void stop() throws Exception {
        s.close();
    }

    @BeforeEach
    void reset() {
        s.up.reset();
        s.up2.reset();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anAnswerThatIsNotTheRequestedJsonFallsBackToTheNextTarget(boolean stream) throws Exception {
        s.up.answering("Sure! ", "The answer is yes.");
        s.up2.answering("{\"answer\":", "\"yes\"}");
        GuardedServer.Reply r = s.chat("two-remotes", stream, "Is the sky blue?", SCHEMA);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up2");
        assertThat(r.content()).isEqualTo(VALID);
        assertThat(r.body()).doesNotContain("Sure!");
        assertThat(r.finish()).isEqualTo("stop");
        assertThat(s.up.calls()).hasSize(1);
        assertThat(s.up2.calls()).hasSize(1);
        assertThat(s.decisions(r)).anySatisfy(e -> {
            assertThat(e.result().check()).isEqualTo("json_schema");
            assertThat(e.result().action()).isEqualTo(GuardAction.BLOCK);
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anAnswerOutsideTheSchemaFallsBackToo(boolean stream) throws Exception {
        s.up.answering("{\"answer\":\"maybe\"}");
        s.up2.answering(VALID);
        GuardedServer.Reply r = s.chat("two-remotes", stream, "Is the sky blue?", SCHEMA);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up2");
        assertThat(r.content()).isEqualTo(VALID);
    }

    @Test
    void aValidAnswerIsPassedOnFromTheFirstTarget() throws Exception {
        s.up.answering(VALID);
        GuardedServer.Reply r = s.chat("two-remotes", true, "Is the sky blue?", SCHEMA);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(r.content()).isEqualTo(VALID);
        assertThat(s.up2.calls()).isEmpty();
    }

    /** Three tokens cannot make the object, even constrained: the whole local answer is rejected before anything reaches the client. */
    @Test
    void aLocalAnswerThatIsNotTheRequestedJsonFallsBackToTheRemoteTarget() throws Exception {
        s.up.answering(VALID);
        GuardedServer.Reply r = s.chat("local-then-remote", false, "Once upon a time", SCHEMA + ",\"max_tokens\":3");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        assertThat(r.content()).isEqualTo(VALID);
        assertThat(s.decisions(r)).anySatisfy(e -> assertThat(e.result().check()).isEqualTo("json_schema"));
    }

    /**
     * A local stream is constrained to the schema, so it is sent as it is generated (not held back): cut
     * short by max_tokens it is the start of the requested object and says so with {@code length}.
     */
    @Test
    void aConstrainedLocalStreamIsSentAsItIsGenerated() throws Exception {
        s.up.answering(VALID);
        GuardedServer.Reply r = s.chat("local-then-remote", true, "Once upon a time", SCHEMA + ",\"max_tokens\":3");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        String sent = r.content().replaceAll("\\s", "");
        assertThat(sent).startsWith("{");
        assertThat(java.util.List.of(VALID, FALLBACK)).as("the only documents the schema allows").anyMatch(d -> d.startsWith(sent));
        assertThat(r.finish()).isEqualTo("length");
        assertThat(s.up.calls()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void whenNoTargetGivesValidJsonTheRouteFallbackAnswerIsSent(boolean stream) throws Exception {
        s.up.answering("{\"answer\":", "\"perhaps\"}");
        GuardedServer.Reply r = s.chat("polite", stream, "Is the sky blue?", SCHEMA);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.content()).isEqualTo(FALLBACK);
        assertThat(r.finish()).isEqualTo("content_filter");
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("guardrails");
        assertThat(r.body()).doesNotContain("perhaps");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void withoutAFallbackTheClientGetsA502NamingTheViolationNotTheAnswer(boolean stream) throws Exception {
        s.up.answering("{\"answer\":", "\"perhaps\"}");
        GuardedServer.Reply r = s.chat("strict", stream, "Is the sky blue?", SCHEMA);
        assertThat(r.status()).isEqualTo(502);
        JsonNode err = r.json().get("error");
        assertThat(err.get("code").asText()).isEqualTo("response_format_violation");
        assertThat(err.get("param").asText()).isEqualTo("response_format");
        assertThat(err.get("message").asText()).contains("up:gpt-x").contains("/answer").doesNotContain("perhaps");
    }

    @Test
    void jsonObjectAsksOnlyForAnObject() throws Exception {
        s.up.answering("[1, 2]");
        s.up2.answering("{\"any\": [1, 2]}");
        GuardedServer.Reply r = s.chat("two-remotes", false, "Give me JSON", "\"response_format\":{\"type\":\"json_object\"}");
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up2");
        assertThat(r.content()).isEqualTo("{\"any\": [1, 2]}");
    }
}
