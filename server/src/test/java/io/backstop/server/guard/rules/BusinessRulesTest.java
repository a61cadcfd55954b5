package io.backstop.server.guard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.server.config.ConfigException;
import io.backstop.server.guard.GuardDecision;
import io.backstop.server.guard.GuardMessage;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.GuardRequest;
import io.backstop.server.guard.Guardrails;
import io.backstop.server.guard.InputGuard;
import io.backstop.server.guard.GuardTestData;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BusinessRulesTest {
    /** A rule as an application would ship it on the classpath. */
    public static final class NoMondays implements BusinessRule {
        public NoMondays() {}

        @Override
        public RuleVerdict onRequest(GuardRequest r) {
            return r.messages().stream().anyMatch(m -> m.text().contains("monday")) ? RuleVerdict.flag("mentions monday") : RuleVerdict.allow();
        }
    }

    private static GuardRequest request(String user, String text) {
        return new GuardRequest("r", GuardRequest.Kind.CHAT, "m", user, List.of(new GuardMessage("user", text)));
    }

    @Test
    void rulesAreLoadedByClassNameFromTheProfileAndSeeEveryRequest() throws Exception {
        GuardProfile p = GuardTestData.profile("""
                rules:
                  - class: io.backstop.server.guard.rules.RefuseTopic
                    config: {topic: cryptocurrency, keywords: [bitcoin, ethereum]}
                  - class: io.backstop.server.guard.rules.BusinessRulesTest$NoMondays""");
        Guardrails g = Guardrails.load(p, List.of(), getClass().getClassLoader(), InputGuard::estimateTokens);
        assertThat(g.rules()).extracting(BusinessRule::name).containsExactly("refuse_topic", "NoMondays");
        GuardDecision refused = g.checkInput(request("u", "Should I buy Bitcoin?"));
        assertThat(refused.blockingCheck()).isEqualTo("rule:refuse_topic");
        assertThat(refused.message()).contains("cryptocurrency");
        GuardDecision flagged = g.checkInput(request("u", "see you on monday"));
        assertThat(flagged.blocked()).isFalse();
        assertThat(flagged.results()).anySatisfy(r -> assertThat(r.check()).isEqualTo("rule:NoMondays"));
    }

    @Test
    void aRuleThatCannotBeLoadedFailsStartUpNamingTheKey() throws Exception {
        GuardProfile missing = GuardTestData.profile("rules: [{class: com.example.Nope}]");
        assertThatThrownBy(() -> Guardrails.load(missing, List.of(), getClass().getClassLoader(), InputGuard::estimateTokens))
                .isInstanceOf(ConfigException.class).hasMessageContaining("guardrails.profiles.p.rules[0]").hasMessageContaining("not on the classpath");
        GuardProfile notARule = GuardTestData.profile("rules: [{class: java.lang.String}]");
        assertThatThrownBy(() -> Guardrails.load(notARule, List.of(), getClass().getClassLoader(), InputGuard::estimateTokens))
                .hasMessageContaining("does not implement");
        GuardProfile badConfig = GuardTestData.profile("rules: [{class: io.backstop.server.guard.rules.DailyTokenBudget, config: {tokens_per_day: -5}}]");
        assertThatThrownBy(() -> Guardrails.load(badConfig, List.of(), getClass().getClassLoader(), InputGuard::estimateTokens))
                .hasMessageContaining("tokens_per_day must be a positive whole number");
    }

    @Test
    void theDailyTokenBudgetBlocksASpentUserUntilTheNextUtcDay() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-03-01T10:00:00Z"));
        Clock clock = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now.get(); }
        };
        DailyTokenBudget budget = new DailyTokenBudget(Map.of("tokens_per_day", 100), clock);
        GuardRequest alice = request("alice", "hi"), bob = request("bob", "hi");
        assertThat(budget.onRequest(alice).kind()).isEqualTo(RuleVerdict.Kind.ALLOW);
        budget.onAnswer(alice, "answer", 40, 70);
        assertThat(budget.spent("alice")).isEqualTo(110);
        assertThat(budget.onRequest(alice).kind()).isEqualTo(RuleVerdict.Kind.BLOCK);
        assertThat(budget.onRequest(bob).kind()).isEqualTo(RuleVerdict.Kind.ALLOW);
        now.set(now.get().plus(Duration.ofHours(14))); // 00:00 the next day
        assertThat(budget.onRequest(alice).kind()).isEqualTo(RuleVerdict.Kind.ALLOW);
        assertThat(budget.spent("alice")).isZero();
    }

    @Test
    void refuseTopicLooksOnlyAtUserMessages() {
        RefuseTopic r = new RefuseTopic(Map.of("topic", "weapons", "keywords", List.of("rifle")));
        assertThat(r.onRequest(new GuardRequest("r", GuardRequest.Kind.CHAT, "m", null,
                List.of(new GuardMessage("system", "Never talk about a rifle."), new GuardMessage("user", "hello")))).kind()).isEqualTo(RuleVerdict.Kind.ALLOW);
        assertThat(r.onRequest(request(null, "which RIFLE is best?")).kind()).isEqualTo(RuleVerdict.Kind.BLOCK);
    }
}
