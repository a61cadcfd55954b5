package io.backstop.server.guard;

import io.backstop.server.guard.config.GuardConfig;
import io.backstop.server.guard.context.SummaryCache;
import io.backstop.server.guard.injection.InjectionDetector;
import io.backstop.server.guard.rules.BusinessRule;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The guardrails of every public name the server answers for, built once at start-up: each profile's
 * business rules are created once (so a token budget is shared by every name the profile is attached
 * to), and each name gets its profile's checks with its own token counter. Also holds the decision log
 * and the summary cache of the context policies.
 */
public final class GuardService {
    /**
     * What applies to a request for one public name.
     *
     * @param guardrails the profile's checks, or null when the name has no profile
     */
    public record Policy(String name, GuardConfig.Attachment attachment, Guardrails guardrails) {
        public String fallbackAnswer() {
            return attachment.fallbackAnswer();
        }
    }

    private final GuardConfig config;
    private final Map<String, Guardrails> byName = new HashMap<>();
    private final GuardLog log = new GuardLog(1000);
    private final SummaryCache summaries = new SummaryCache(SummaryCache.DEFAULT_CAPACITY);

    /**
     * @param clock     given to business rules that keep time (tests move it by hand)
     * @param tokensFor the token counter of a public name's limits (its local model's tokenizer when it has
     *                  one, else {@link InputGuard#estimateTokens})
     */
    public GuardService(GuardConfig config, ClassLoader loader, Clock clock, Function<String, ToIntFunction<String>> tokensFor) {
        this.config = config;
        Map<String, List<BusinessRule>> rules = new HashMap<>();
        for (GuardProfile p : config.profiles().values()) rules.put(p.name(), Guardrails.loadRules(p, loader, clock));
        config.attachments().forEach((name, a) -> {
            if (a.profile() == null) return;
            GuardProfile p = config.profiles().get(a.profile());
            byName.put(name, new Guardrails(p, InjectionDetector.shipped(), rules.get(p.name()), tokensFor.apply(name)));
        });
    }

    public static GuardService none() {
        return new GuardService(GuardConfig.none(), GuardService.class.getClassLoader(), Clock.systemUTC(), n -> InputGuard::estimateTokens);
    }

    public Policy policy(String name) {
        return new Policy(name, config.attachment(name), byName.get(name));
    }

    public GuardLog log() {
        return log;
    }

    public SummaryCache summaries() {
        return summaries;
    }
}
