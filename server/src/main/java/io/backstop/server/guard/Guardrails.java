package io.backstop.server.guard;

import io.backstop.server.config.ConfigException;
import io.backstop.server.guard.injection.InjectionDetector;
import io.backstop.server.guard.output.OutputGuard;
import io.backstop.server.guard.rules.BusinessRule;
import io.backstop.server.guard.rules.RuleLoader;
import io.backstop.server.guard.rules.RuleVerdict;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * One profile ready to run: its input checks, output checks and business rules (loaded once, by class
 * name, from the profile's {@code rules}). The object phase 2 attaches to a route or local model.
 */
public final class Guardrails {
    private final GuardProfile profile;
    private final InputGuard input;
    private final OutputGuard output;
    private final List<BusinessRule> rules;

    public Guardrails(GuardProfile profile, InjectionDetector injection, List<BusinessRule> rules, ToIntFunction<String> tokens) {
        this.profile = profile;
        this.rules = List.copyOf(rules);
        this.input = new InputGuard(profile, injection, this.rules, tokens);
        this.output = new OutputGuard(profile);
    }

    /**
     * The profile with the shipped injection model and its rules loaded from the classpath;
     * {@link ConfigException} naming the rule when one cannot be loaded.
     *
     * @param extra rules an embedding application registers in code (run after the configured ones)
     */
    public static Guardrails load(GuardProfile profile, List<BusinessRule> extra, ClassLoader loader, ToIntFunction<String> tokens) {
        List<BusinessRule> rules = new ArrayList<>(loadRules(profile, loader, Clock.systemUTC()));
        rules.addAll(extra);
        return new Guardrails(profile, InjectionDetector.shipped(), rules, tokens);
    }

    /**
     * The profile's business rules, created once (a rule's state, such as a token budget, is shared by
     * every name the profile is attached to); {@link ConfigException} naming the rule when one cannot be
     * loaded.
     *
     * @param clock given to rules with a {@code (Map, Clock)} constructor
     */
    public static List<BusinessRule> loadRules(GuardProfile profile, ClassLoader loader, Clock clock) {
        List<BusinessRule> rules = new ArrayList<>();
        for (int i = 0; i < profile.rules().size(); i++) {
            GuardProfile.RuleSpec s = profile.rules().get(i);
            try {
                rules.add(RuleLoader.load(s.className(), s.config(), loader, clock));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("guardrails.profiles." + profile.name() + ".rules[" + i + "]: " + e.getMessage());
            }
        }
        return rules;
    }

    public GuardProfile profile() {
        return profile;
    }

    public GuardDecision checkInput(GuardRequest request) {
        return input.check(request);
    }

    public OutputGuard output() {
        return output;
    }

    public List<BusinessRule> rules() {
        return rules;
    }

    /** Tells every rule about a finished answer (token budgets count here); the first block or flag is returned. */
    public CheckResult afterAnswer(GuardRequest request, String answer, int promptTokens, int completionTokens) {
        CheckResult first = null;
        for (BusinessRule r : rules) {
            RuleVerdict v = r.onAnswer(request, answer, promptTokens, completionTokens);
            if (v.kind() != RuleVerdict.Kind.ALLOW && first == null) {
                first = CheckResult.of("rule:" + r.name(), v.kind() == RuleVerdict.Kind.BLOCK ? GuardAction.BLOCK : GuardAction.FLAG, 1, v.reason());
            }
        }
        return first;
    }
}
