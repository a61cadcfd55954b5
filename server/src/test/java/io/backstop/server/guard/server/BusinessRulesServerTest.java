package io.backstop.server.guard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.guard.GuardMessage;
import io.backstop.server.guard.GuardRequest;
import io.backstop.server.guard.rules.BusinessRule;
import io.backstop.server.guard.rules.RuleVerdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Business rules in code, loaded by class name from the configuration, through the real server on local and remote targets. */
class BusinessRulesServerTest {
    /** A rule an application writes: no shouting. Loaded by its class name, with its config. */
    public static final class NoShouting implements BusinessRule {
        private final int minLetters;

        public NoShouting(Map<String, Object> config) {
            this.minLetters = ((Number) config.getOrDefault("min_letters", 8)).intValue();
        }

        @Override
        public String name() {
            return "no_shouting";
        }

        @Override
        public RuleVerdict onRequest(GuardRequest request) {
            for (GuardMessage m : request.messages()) {
                String letters = m.text().replaceAll("[^\\p{L}]", "");
                if (letters.length() >= minLetters && letters.equals(letters.toUpperCase())) return RuleVerdict.block("please do not shout");
            }
            return RuleVerdict.allow();
        }
    }

    @TempDir
    static Path dir;
    static GuardedServer s;

    @BeforeAll
    static void start() {
        s = GuardedServer.start(dir, """
                guardrails:
                  profiles:
                    house:
                      rules:
                        - class: io.backstop.server.guard.server.BusinessRulesServerTest$NoShouting
                          config: {min_letters: 6}
                        - class: io.backstop.server.guard.rules.DailyTokenBudget
                          config: {tokens_per_day: 10}
                models:
                  - %s, guardrails: house}
                routes:
                  - {name: remote, targets: [up:gpt-x], guardrails: house}
                  - {name: polite, targets: [up:gpt-x], guardrails: house, fallback_answer: "Let us talk tomorrow."}
                """.formatted(GuardedServer.STORIES));
    }

    @AfterAll
    static void stop() throws Exception {
        s.close();
    }

    @BeforeEach
    void reset() {
        s.up.reset();
        s.up.answering("Hello", " there");
        s.clock.advance(Duration.ofDays(1)); // every test starts with fresh budgets
    }

    @ParameterizedTest
    @ValueSource(strings = {"remote", "stories"})
    void aCustomRuleFromTheConfigurationBlocksBeforeAnyModelWork(String model) throws Exception {
        int calls = s.up.calls().size();
        int generations = s.server.requestLog().entries().size();
        GuardedServer.Reply r = s.chat(model, false, "TELL ME A STORY NOW", "\"max_tokens\":4");
        assertThat(r.status()).isEqualTo(400);
        JsonNode err = r.json().get("error");
        assertThat(err.get("code").asText()).isEqualTo("content_policy_violation");
        assertThat(err.get("message").asText()).contains("'rule:no_shouting'").contains("please do not shout");
        assertThat(s.up.calls()).hasSize(calls);
        assertThat(s.server.requestLog().entries()).hasSize(generations);
        assertThat(s.chat(model, false, "Tell me a story now", "\"max_tokens\":4").status()).isEqualTo(200);
    }

    @Test
    void theDailyTokenBudgetCountsRemoteUsagePerUserAndRenewsAtMidnightUtc() throws Exception {
        // the upstream reports 3 prompt + 5 completion tokens per answer: the second answer spends alice's 10
        assertThat(s.chat("remote", false, "Hi", "\"user\":\"alice\"").status()).isEqualTo(200);
        assertThat(s.chat("remote", true, "Hi", "\"user\":\"alice\"").status()).isEqualTo(200);
        GuardedServer.Reply spent = s.chat("remote", false, "Hi", "\"user\":\"alice\"");
        assertThat(spent.status()).isEqualTo(400);
        assertThat(spent.json().at("/error/message").asText()).contains("'rule:daily_token_budget'");
        assertThat(s.chat("remote", false, "Hi", "\"user\":\"bob\"").status()).as("another user's budget").isEqualTo(200);
        GuardedServer.Reply polite = s.chat("polite", false, "Hi", "\"user\":\"alice\"");
        assertThat(polite.status()).as("the profile's budget is shared by every name it guards").isEqualTo(200);
        assertThat(polite.content()).isEqualTo("Let us talk tomorrow.");
        assertThat(polite.finish()).isEqualTo("content_filter");

        s.clock.advance(Duration.ofDays(1));
        assertThat(s.chat("remote", false, "Hi", "\"user\":\"alice\"").status()).isEqualTo(200);
    }

    @Test
    void theDailyTokenBudgetCountsLocalGenerationsToo() throws Exception {
        GuardedServer.Reply first = s.chat("stories", false, "Once upon a time", "\"user\":\"carol\",\"max_tokens\":8");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().at("/usage/total_tokens").asInt()).isGreaterThanOrEqualTo(10);
        assertThat(s.chat("stories", true, "Once upon a time", "\"user\":\"carol\",\"max_tokens\":8").status()).isEqualTo(400);
    }
}
