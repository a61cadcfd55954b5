package io.backstop.server.guard.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.config.ConfigException;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.Guardrails;
import io.backstop.server.guard.context.ContextPolicy;
import io.backstop.server.guard.rules.RuleLoader;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the guardrail keys of a route or a model entry ({@code guardrails}, {@code fallback_answer},
 * {@code context_policy}, {@code summary_route}, {@code summary_max_tokens}; routes also
 * {@code context_tokens}) and checks what they name once the whole file is read.
 */
public final class AttachmentReader {
    /** Keys a model entry may carry besides its own. */
    public static final Set<String> MODEL_KEYS = Set.of("guardrails", "fallback_answer", "context_policy", "summary_route", "summary_max_tokens");
    /** Keys a route entry may carry besides its own. */
    public static final Set<String> ROUTE_KEYS = Set.of("guardrails", "fallback_answer", "context_policy", "summary_route", "summary_max_tokens", "context_tokens");
    /** Longest fallback answer: it is a short, fixed message, not a document. */
    static final int MAX_FALLBACK_CHARS = 16 * 1024;

    private AttachmentReader() {}

    /** The attachment of one entry ({@code key} names it in messages, e.g. {@code routes[2]}), or null when it has none. */
    public static GuardConfig.Attachment read(JsonNode n, String key) {
        if (MODEL_KEYS.stream().noneMatch(n::has) && !n.has("context_tokens")) return null;
        String profile = text(n, "guardrails", key);
        String fallback = text(n, "fallback_answer", key);
        if (fallback != null && fallback.length() > MAX_FALLBACK_CHARS) throw new ConfigException(key + ".fallback_answer is longer than " + MAX_FALLBACK_CHARS + " characters");
        ContextPolicy policy = ContextPolicy.ERROR;
        String p = text(n, "context_policy", key);
        if (p != null) {
            try {
                policy = ContextPolicy.parse(p);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ".context_policy: " + e.getMessage());
            }
        }
        String summary = text(n, "summary_route", key);
        if (policy == ContextPolicy.SUMMARIZE && summary == null) throw new ConfigException(key + ".summary_route is required with context_policy: summarize (the route or model that writes the summaries)");
        if (policy != ContextPolicy.SUMMARIZE && summary != null) throw new ConfigException(key + ".summary_route applies only to context_policy: summarize");
        Integer max = count(n, "summary_max_tokens", key, 16, 1 << 16);
        Integer context = count(n, "context_tokens", key, 64, 1 << 24);
        return new GuardConfig.Attachment(profile, fallback, policy, summary, max == null ? GuardConfig.Attachment.DEFAULT_SUMMARY_MAX_TOKENS : max, context);
    }

    /**
     * Checks every attachment against the file: profiles exist, summary routes are served names other
     * than their own, and every profile's business rules load (a rule class that is missing or refuses its
     * config stops start-up here, naming it).
     */
    public static void check(Map<String, GuardProfile> profiles, Map<String, GuardConfig.Attachment> attachments, Map<String, String> keys,
                             Set<String> servedNames) {
        for (var e : attachments.entrySet()) {
            GuardConfig.Attachment a = e.getValue();
            String key = keys.get(e.getKey());
            if (a.profile() != null && !profiles.containsKey(a.profile())) {
                throw new ConfigException(key + ".guardrails: unknown profile '" + a.profile() + "'"
                        + (profiles.isEmpty() ? " (define it under guardrails.profiles)" : " (profiles: " + String.join(", ", new TreeSet<>(profiles.keySet())) + ")"));
            }
            if (a.summaryRoute() != null) {
                if (a.summaryRoute().equals(e.getKey())) throw new ConfigException(key + ".summary_route: a route cannot summarize for itself");
                if (!servedNames.contains(a.summaryRoute())) {
                    throw new ConfigException(key + ".summary_route: unknown route or model '" + a.summaryRoute() + "'");
                }
            }
        }
        for (GuardProfile p : profiles.values()) Guardrails.loadRules(p, RuleLoader.defaultLoader(), Clock.systemUTC());
    }

    private static String text(JsonNode n, String field, String key) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return null;
        if (!v.isTextual() || v.asText().isBlank()) throw new ConfigException(key + "." + field + " must be a non-empty string");
        return v.asText();
    }

    private static Integer count(JsonNode n, String field, String key, int min, int max) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return null;
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) throw new ConfigException(key + "." + field + " must be a whole number between " + min + " and " + max);
        return v.asInt();
    }
}
