package io.backstop.server.guard;

import io.backstop.server.guard.deny.DenyList;
import io.backstop.server.guard.pii.PiiScanner;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A named set of guardrail checks with their thresholds and actions, attached (in phase 2) to routes
 * and local models. Built by {@link io.backstop.server.guard.config.GuardrailsConfigParser} from the
 * {@code guardrails.profiles} section; every part has a default (see {@link #defaults}).
 *
 * @param restore put the originals of input redactions back into the answer (LLM Guard's Vault)
 */
public record GuardProfile(String name, Limits limits, InjectionCheck injection, EntityCheck pii, EntityCheck secrets, DenyCheck deny,
                           boolean restore, OutputChecks output, List<RuleSpec> rules) {
    /** PII types a profile checks unless it names its own. */
    public static final Set<String> DEFAULT_PII_TYPES = Set.of("EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS");

    public GuardProfile {
        rules = List.copyOf(rules);
    }

    /** Request limits; 0 means no limit. Tokens are counted by the pipeline's token counter. */
    public record Limits(int maxChars, int maxMessages, int maxTokens, Map<String, RoleLimits> perRole) {
        public Limits {
            perRole = Map.copyOf(perRole);
        }

        public static Limits none() {
            return new Limits(0, 0, 0, Map.of());
        }
    }

    public record RoleLimits(int maxChars, int maxTokens) {}

    /** Injection check: action (block, flag or off), score threshold (NaN: the model's own), roles whose texts are scored. */
    public record InjectionCheck(GuardAction action, double threshold, Set<String> roles) {
        public InjectionCheck {
            roles = Set.copyOf(roles);
        }
    }

    /** A PII or secret check: its action and the entity types it looks for. */
    public record EntityCheck(GuardAction action, Set<String> types) {
        public EntityCheck {
            types = Set.copyOf(types);
            for (String t : types) if (!PiiScanner.TYPES.contains(t)) throw new IllegalArgumentException("unknown entity type '" + t + "'; known: " + PiiScanner.TYPES);
        }
    }

    public record DenyCheck(GuardAction action, DenyList list) {}

    /** Checks on the answer: redaction or blocking of PII/secrets/deny-list hits, and a maximum length in chars (0: none). */
    public record OutputChecks(GuardAction pii, Set<String> piiTypes, GuardAction secrets, GuardAction deny, int maxChars) {
        public OutputChecks {
            piiTypes = Set.copyOf(piiTypes);
        }
    }

    /** A business rule to load: class name and its config. */
    public record RuleSpec(String className, Map<String, Object> config) {
        public RuleSpec {
            config = Map.copyOf(config);
        }
    }

    /**
     * The defaults: injection blocked at the model's threshold (user and tool texts), PII redacted and
     * restored in the answer, secrets blocked, no deny list, no limits; answers get secrets redacted.
     */
    public static GuardProfile defaults(String name) {
        return new GuardProfile(name, Limits.none(), new InjectionCheck(GuardAction.BLOCK, Double.NaN, Set.of("user", "tool")),
                new EntityCheck(GuardAction.REDACT, DEFAULT_PII_TYPES), new EntityCheck(GuardAction.BLOCK, Set.of("SECRET")),
                new DenyCheck(GuardAction.BLOCK, DenyList.empty()), true,
                new OutputChecks(GuardAction.OFF, DEFAULT_PII_TYPES, GuardAction.REDACT, GuardAction.BLOCK, 0), List.of());
    }
}
