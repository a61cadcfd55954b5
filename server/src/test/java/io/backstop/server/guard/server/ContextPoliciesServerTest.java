package io.backstop.server.guard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.guard.context.ContextFitter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A chat longer than the target's context, through the real server: each context policy on remote and local targets. */
class ContextPoliciesServerTest {
    @TempDir
    static Path dir;
    static GuardedServer s;

    @BeforeAll
    static void start() {
        s = GuardedServer.start(dir, """
                models:
                  - %1$s, context_policy: truncate}
                  - {name: stories-strict, path: "${STORIES}", chat_template: raw}
                routes:
                  - {name: remote-error, targets: [up:gpt-x], context_tokens: 200}
                  - {name: remote-truncate, targets: [up:gpt-x], context_policy: truncate, context_tokens: 200}
                  - {name: summarizer, targets: [up2:gpt-s]}
                  - {name: remote-summarize, targets: [up:gpt-x], context_policy: summarize, summary_route: summarizer, summary_max_tokens: 32, context_tokens: 200}
                """.formatted(GuardedServer.STORIES));
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

    /** A system prompt and {@code turns} user/assistant turns of about 30 tokens each, ending with a user question. */
    static List<Map<String, String>> longChat(int turns, String tag) {
        List<Map<String, String>> m = new ArrayList<>();
        m.add(Map.of("role", "system", "content", "You are a helpful assistant."));
        for (int i = 0; i < turns; i++) {
            m.add(Map.of("role", "user", "content", tag + " question " + i + ": tell me more about the little dog in the garden and the big red ball."));
            m.add(Map.of("role", "assistant", "content", "Answer " + i + ": the little dog ran around the garden and played with the big red ball all day."));
        }
        m.add(Map.of("role", "user", "content", "And what happened at the end?"));
        return m;
    }

    /** The messages the upstream received in its last call. */
    private static JsonNode sent(io.backstop.server.route.FaultyUpstream up) {
        return up.calls().getLast().body().get("messages");
    }

    @Test
    void theDefaultPolicyPassesTheChatOnUnchanged() throws Exception {
        List<Map<String, String>> chat = longChat(12, "e");
        GuardedServer.Reply r = s.post("/v1/chat/completions", GuardedServer.chatBody("remote-error", false, chat, "\"max_tokens\":20"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(sent(s.up)).hasSize(chat.size());
    }

    @Test
    void truncateKeepsTheSystemPromptAndTheLatestTurnsThatFit() throws Exception {
        List<Map<String, String>> chat = longChat(12, "t");
        GuardedServer.Reply r = s.post("/v1/chat/completions", GuardedServer.chatBody("remote-truncate", true, chat, "\"max_tokens\":20"));
        assertThat(r.status()).isEqualTo(200);
        JsonNode sent = sent(s.up);
        assertThat(sent.size()).isLessThan(chat.size()).isGreaterThan(2);
        assertThat(sent.get(0).get("content").asText()).isEqualTo("You are a helpful assistant.");
        assertThat(sent.get(1).get("role").asText()).as("the kept turns start with a user turn").isEqualTo("user");
        assertThat(sent.get(sent.size() - 1).get("content").asText()).isEqualTo("And what happened at the end?");
        List<String> kept = new ArrayList<>();
        sent.forEach(m -> kept.add(m.get("content").asText()));
        List<String> expected = new ArrayList<>(List.of("You are a helpful assistant."));
        chat.subList(chat.size() - (sent.size() - 1), chat.size()).forEach(m -> expected.add(m.get("content")));
        assertThat(kept).as("the system prompt and the latest turns, in order").isEqualTo(expected);
        assertThat(s.up2.calls()).isEmpty();
    }

    @Test
    void summarizeReplacesOlderTurnsByASummaryFromTheSummaryRouteCachedPerPrefix() throws Exception {
        s.up2.answering("The user asked about a dog and a ball.");
        List<Map<String, String>> chat = longChat(12, "s");
        GuardedServer.Reply r = s.post("/v1/chat/completions", GuardedServer.chatBody("remote-summarize", false, chat, "\"max_tokens\":20"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(s.up2.calls()).hasSize(1);
        JsonNode summaryRequest = s.up2.calls().getFirst().body().get("messages");
        assertThat(summaryRequest.get(1).get("content").asText()).contains("s question 0:").doesNotContain("And what happened at the end?");
        JsonNode sent = sent(s.up);
        assertThat(sent.size()).isLessThan(chat.size());
        assertThat(sent.get(0).get("content").asText()).startsWith("You are a helpful assistant.")
                .contains(ContextFitter.SUMMARY_HEADER + "The user asked about a dog and a ball.");
        assertThat(sent.get(sent.size() - 1).get("content").asText()).isEqualTo("And what happened at the end?");

        GuardedServer.Reply again = s.post("/v1/chat/completions", GuardedServer.chatBody("remote-summarize", true, chat, "\"max_tokens\":20"));
        assertThat(again.status()).isEqualTo(200);
        assertThat(s.up2.calls()).as("the summary of the same older turns comes from the cache").hasSize(1);
    }

    @Test
    void aLocalModelTruncatesByItsOwnTokenizerWhereTheStrictOneRefuses() throws Exception {
        List<Map<String, String>> chat = longChat(40, "l");
        GuardedServer.Reply strict = s.post("/v1/chat/completions", GuardedServer.chatBody("stories-strict", false, chat, "\"max_tokens\":8"));
        assertThat(strict.status()).isEqualTo(400);
        assertThat(strict.json().at("/error/code").asText()).isEqualTo("context_length_exceeded");

        GuardedServer.Reply fitted = s.post("/v1/chat/completions", GuardedServer.chatBody("stories", false, chat, "\"max_tokens\":8"));
        assertThat(fitted.status()).isEqualTo(200);
        assertThat(fitted.json().at("/usage/prompt_tokens").asInt()).as("stories260K computes 512 positions").isLessThan(512);
        assertThat(fitted.json().at("/usage/completion_tokens").asInt()).isPositive();
    }
}
