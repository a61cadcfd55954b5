package io.backstop.server.guard.server;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.backstop.server.TestServer;
import io.backstop.server.guard.GuardAction;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Output checks on the answers of local and remote targets, streamed and whole, through the real server. */
class OutputChecksServerTest {
    private static final String TOKEN = "ghp_" + random(11, ALNUM, 36);
    /** The stories260K model's greedy continuation of this prompt is known (llama2.c reference). */
    private static final JsonNode REF = TestServer.references().stream().filter(r -> r.get("prompt").asText().startsWith("Lily")).findFirst().orElseThrow();

    @TempDir
    static Path dir;
    static GuardedServer s;

    @BeforeAll
    static void start() {
        s = GuardedServer.start(dir, """
                guardrails:
                  profiles:
                    clean:
                      deny: {action: block, terms: [project falcon]}
                      output: {secrets: redact, pii: redact, pii_types: [EMAIL], deny: block}
                    toys:
                      deny: {action: flag, topics: {toys: [box]}}
                      output: {deny: redact}
                    nobox:
                      deny: {action: flag, terms: [box]}
                      output: {deny: block}
                    short:
                      output: {max_chars: 20}
                models:
                  - %s}
                routes:
                  - {name: remote, targets: [up:gpt-x], guardrails: clean}
                  - {name: local-toys, targets: [local:stories], guardrails: toys}
                  - {name: local-nobox, targets: [local:stories], guardrails: nobox}
                  - {name: local-nobox-polite, targets: [local:stories], guardrails: nobox, fallback_answer: "[answer withheld]"}
                  - {name: local-short, targets: [local:stories], guardrails: short}
                """.formatted(GuardedServer.STORIES));
    }

    @AfterAll
    static void stop() throws Exception {
        s.close();
    }

    /** What a client written for OpenAI reads from a stream: its content deltas, in order, and the last finish reason. */
    record SdkStream(List<String> deltas, String finish) {
        String text() {
            return String.join("", deltas);
        }
    }

    static SdkStream sdkStream(String model, String user, long maxTokens) {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + s.server.port() + "/v1").apiKey("unused")
                .maxRetries(0).responseValidation(true).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                     .model(model).addUserMessage(user).temperature(0.0).maxCompletionTokens(maxTokens).build())) {
            List<ChatCompletionChunk.Choice> choices = stream.stream().flatMap(c -> c.choices().stream()).toList();
            List<String> deltas = choices.stream().flatMap(c -> c.delta().content().stream()).filter(t -> !t.isEmpty()).toList();
            String finish = choices.stream().flatMap(c -> c.finishReason().stream()).map(f -> f.asString()).reduce((a, b) -> b).orElse(null);
            return new SdkStream(deltas, finish);
        } finally {
            client.close();
        }
    }

    @BeforeEach
    void reset() {
        s.up.reset();
    }

    @Test
    void aSecretSplitOverStreamChunksIsRedactedWholeAndNoPieceOfItLeaks() throws Exception {
        s.up.answering("Your token is ", TOKEN.substring(0, 6), TOKEN.substring(6, 25), TOKEN.substring(25), " and mail ops@", "example.com now.");
        GuardedServer.Reply r = s.chat("remote", true, "What is my token?", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.streamed()).isEqualTo("Your token is [SECRET_1] and mail [EMAIL_1] now.");
        assertThat(r.body()).doesNotContain(TOKEN.substring(6, 25)).doesNotContain(TOKEN.substring(25)).doesNotContain("ops@");
        assertThat(r.streamedFinish()).isEqualTo("stop");
        assertThat(r.events().getLast()).isEqualTo("[DONE]");
        assertThat(s.decisions(r)).anySatisfy(e -> {
            assertThat(e.stage()).isEqualTo("output");
            assertThat(e.result().check()).isEqualTo("secrets");
            assertThat(e.result().action()).isEqualTo(GuardAction.REDACT);
        });
    }

    @Test
    void theOpenAiSdkReadsARemoteStreamWhoseSecretWasSplitOverChunksRedactedWhole() {
        s.up.answering("Use ", TOKEN.substring(0, 3), TOKEN.substring(3, 30), TOKEN.substring(30), " to log in.");
        SdkStream r = sdkStream("remote", "What is my token?", 40);
        assertThat(r.text()).isEqualTo("Use [SECRET_1] to log in.");
        assertThat(String.join("|", r.deltas())).doesNotContain(TOKEN.substring(0, 3)).doesNotContain(TOKEN.substring(12, 18)).doesNotContain(TOKEN.substring(30));
        assertThat(r.finish()).isEqualTo("stop");
    }

    @Test
    void theOpenAiSdkReadsALocalStreamRedactedAcrossTokensAndEndedByABlock() {
        String prompt = REF.get("prompt").asText();
        String continuation = TestServer.continuation(REF);
        SdkStream redacted = sdkStream("local-toys", prompt, TestServer.maxTokens(REF));
        assertThat(redacted.text()).isEqualTo(continuation.replaceAll("\\bbox\\b", "[DENIED_1]"));
        assertThat(redacted.deltas()).noneMatch(d -> d.matches("(?s).*\\bbox\\b.*"));
        SdkStream blocked = sdkStream("local-nobox", prompt, TestServer.maxTokens(REF));
        assertThat(blocked.text()).isEqualTo(continuation.substring(0, continuation.indexOf("box")));
        assertThat(blocked.finish()).isEqualTo("content_filter");
    }

    @Test
    void aWholeRemoteAnswerIsRedactedToo() throws Exception {
        s.up.answering("Your token is ", TOKEN, ".");
        GuardedServer.Reply r = s.chat("remote", false, "What is my token?", null);
        assertThat(r.content()).isEqualTo("Your token is [SECRET_1].");
        assertThat(r.finish()).isEqualTo("stop");
    }

    @Test
    void aDeniedTermInAStreamEndsItWithContentFilterBeforeTheTermIsSent() throws Exception {
        s.up.answering("The plan is called ", "Project Fal", "con and it", " starts on Monday.");
        GuardedServer.Reply r = s.chat("remote", true, "What is the plan?", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.streamed()).isEqualTo("The plan is called ");
        assertThat(r.body()).doesNotContain("Fal").doesNotContain("Monday");
        assertThat(r.streamedFinish()).isEqualTo("content_filter");
        assertThat(r.events().getLast()).isEqualTo("[DONE]");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLocalAnswerIsRedactedAcrossTokens(boolean stream) throws Exception {
        String prompt = REF.get("prompt").asText();
        GuardedServer.Reply r = s.chat("local-toys", stream, prompt, "\"max_tokens\":" + TestServer.maxTokens(REF));
        assertThat(r.status()).isEqualTo(200);
        String expected = TestServer.continuation(REF).replaceAll("\\bbox\\b", "[DENIED_1]");
        assertThat(expected).contains("[DENIED_1]");
        assertThat(r.content()).isEqualTo(expected);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aBlockInALocalStreamCancelsTheGenerationAndEndsWithContentFilter(boolean stream) throws Exception {
        String prompt = REF.get("prompt").asText();
        GuardedServer.Reply r = s.chat("local-nobox", stream, prompt, "\"max_tokens\":" + TestServer.maxTokens(REF));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.finish()).isEqualTo("content_filter");
        String continuation = TestServer.continuation(REF);
        if (stream) {
            assertThat(r.content()).isEqualTo(continuation.substring(0, continuation.indexOf("box")));
            assertThat(r.events().getLast()).isEqualTo("[DONE]");
            var last = s.server.requestLog().entries().getLast();
            assertThat(last.usage().completionTokens()).as("the generation stopped at the block").isLessThan(TestServer.maxTokens(REF) / 2);
        } else {
            assertThat(r.content()).isEmpty();
        }
        GuardedServer.Reply polite = s.chat("local-nobox-polite", stream, prompt, "\"max_tokens\":" + TestServer.maxTokens(REF));
        assertThat(polite.finish()).isEqualTo("content_filter");
        if (!stream) assertThat(polite.content()).isEqualTo("[answer withheld]");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLongAnswerIsCutAtTheMaximumLength(boolean stream) throws Exception {
        GuardedServer.Reply r = s.chat("local-short", stream, REF.get("prompt").asText(), "\"max_tokens\":60");
        assertThat(r.content()).isEqualTo(TestServer.continuation(REF).substring(0, 20));
        assertThat(r.finish()).isEqualTo("length");
    }
}
