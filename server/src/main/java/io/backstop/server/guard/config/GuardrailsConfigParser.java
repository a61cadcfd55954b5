package io.backstop.server.guard.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.config.ConfigException;
import io.backstop.server.guard.GuardAction;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.deny.DenyList;
import io.backstop.server.guard.pii.PiiScanner;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the {@code guardrails:} section of the configuration into named {@link GuardProfile}s, as
 * strictly as {@link io.backstop.server.config.ConfigLoader}: an unknown key, a wrong type or a bad value
 * fails with one message naming the key ({@code guardrails.profiles.strict.pii.action: …}). Every key
 * is optional; defaults are {@link GuardProfile#defaults}'s.
 */
public final class GuardrailsConfigParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TOP = Set.of("profiles");
    private static final Set<String> PROFILE = Set.of("limits", "injection", "pii", "secrets", "deny", "restore", "output", "rules");
    private static final Set<String> LIMITS = Set.of("max_chars", "max_messages", "max_tokens", "per_role");
    private static final Set<String> ROLE_LIMITS = Set.of("max_chars", "max_tokens");
    private static final Set<String> INJECTION = Set.of("action", "threshold", "roles");
    private static final Set<String> ENTITIES = Set.of("action", "types");
    private static final Set<String> SECRETS = Set.of("action");
    private static final Set<String> DENY = Set.of("action", "terms", "topics", "regex");
    private static final Set<String> OUTPUT = Set.of("pii", "pii_types", "secrets", "deny", "max_chars");
    private static final Set<String> RULE = Set.of("class", "config");

    private GuardrailsConfigParser() {}

    /** Profiles by name, in file order; an absent or null section gives none. */
    public static Map<String, GuardProfile> parse(JsonNode section) {
        Map<String, GuardProfile> out = new LinkedHashMap<>();
        if (section == null || section.isMissingNode() || section.isNull()) return out;
        if (!section.isObject()) throw new ConfigException("guardrails must be a mapping with profiles");
        known(section, TOP, "guardrails.");
        JsonNode profiles = section.path("profiles");
        if (profiles.isMissingNode() || profiles.isNull()) return out;
        if (!profiles.isObject()) throw new ConfigException("guardrails.profiles must be a mapping of profile name to profile");
        for (Iterator<Map.Entry<String, JsonNode>> it = profiles.fields(); it.hasNext(); ) {
            var e = it.next();
            out.put(e.getKey(), profile(e.getKey(), e.getValue(), "guardrails.profiles." + e.getKey()));
        }
        return out;
    }

    static GuardProfile profile(String name, JsonNode n, String key) {
        if (n.isNull()) n = JSON.createObjectNode();
        if (!n.isObject()) throw new ConfigException(key + " must be a mapping");
        known(n, PROFILE, key + ".");
        GuardProfile d = GuardProfile.defaults(name);
        return new GuardProfile(name, limits(n.path("limits"), key + ".limits"), injection(n.path("injection"), key + ".injection", d.injection()),
                entities(n.path("pii"), key + ".pii", d.pii(), ENTITIES), entities(n.path("secrets"), key + ".secrets", d.secrets(), SECRETS),
                deny(n.path("deny"), key + ".deny", d.deny()), bool(n, "restore", key + ".restore", d.restore()),
                output(n.path("output"), key + ".output", d.output()), rules(n.path("rules"), key + ".rules"));
    }

    private static GuardProfile.Limits limits(JsonNode n, String key) {
        if (absent(n)) return GuardProfile.Limits.none();
        object(n, key);
        known(n, LIMITS, key + ".");
        Map<String, GuardProfile.RoleLimits> roles = new LinkedHashMap<>();
        JsonNode pr = n.path("per_role");
        if (!absent(pr)) {
            object(pr, key + ".per_role");
            for (Iterator<Map.Entry<String, JsonNode>> it = pr.fields(); it.hasNext(); ) {
                var e = it.next();
                String rk = key + ".per_role." + e.getKey();
                object(e.getValue(), rk);
                known(e.getValue(), ROLE_LIMITS, rk + ".");
                roles.put(e.getKey(), new GuardProfile.RoleLimits(count(e.getValue(), "max_chars", rk), count(e.getValue(), "max_tokens", rk)));
            }
        }
        return new GuardProfile.Limits(count(n, "max_chars", key), count(n, "max_messages", key), count(n, "max_tokens", key), roles);
    }

    private static GuardProfile.InjectionCheck injection(JsonNode n, String key, GuardProfile.InjectionCheck d) {
        if (absent(n)) return d;
        object(n, key);
        known(n, INJECTION, key + ".");
        GuardAction a = action(n, key, d.action());
        if (a == GuardAction.REDACT) throw new ConfigException(key + ".action: an injection cannot be redacted (block, flag or off)");
        double t = d.threshold();
        JsonNode tn = n.path("threshold");
        if (!absent(tn)) {
            if (!tn.isNumber() || tn.asDouble() < 0 || tn.asDouble() > 1) throw new ConfigException(key + ".threshold must be a number between 0 and 1");
            t = tn.asDouble();
        }
        Set<String> roles = absent(n.path("roles")) ? d.roles() : strings(n.path("roles"), key + ".roles");
        return new GuardProfile.InjectionCheck(a, t, roles);
    }

    private static GuardProfile.EntityCheck entities(JsonNode n, String key, GuardProfile.EntityCheck d, Set<String> keys) {
        if (absent(n)) return d;
        object(n, key);
        known(n, keys, key + ".");
        Set<String> types = d.types();
        if (!absent(n.path("types"))) {
            types = strings(n.path("types"), key + ".types");
            for (String t : types) {
                if (!PiiScanner.TYPES.contains(t) || t.equals("SECRET")) {
                    throw new ConfigException(key + ".types: unknown PII type '" + t + "' (known: EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS)");
                }
            }
        }
        return new GuardProfile.EntityCheck(action(n, key, d.action()), types);
    }

    private static GuardProfile.DenyCheck deny(JsonNode n, String key, GuardProfile.DenyCheck d) {
        if (absent(n)) return d;
        object(n, key);
        known(n, DENY, key + ".");
        List<String> terms = List.copyOf(strings(n.path("terms"), key + ".terms"));
        Map<String, List<String>> topics = new LinkedHashMap<>();
        JsonNode tn = n.path("topics");
        if (!absent(tn)) {
            object(tn, key + ".topics");
            for (Iterator<Map.Entry<String, JsonNode>> it = tn.fields(); it.hasNext(); ) {
                var e = it.next();
                topics.put(e.getKey(), List.copyOf(strings(e.getValue(), key + ".topics." + e.getKey())));
            }
        }
        List<String> regex = List.copyOf(strings(n.path("regex"), key + ".regex"));
        try {
            return new GuardProfile.DenyCheck(action(n, key, d.action()), new DenyList(terms, topics, regex));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + "." + e.getMessage());
        }
    }

    private static GuardProfile.OutputChecks output(JsonNode n, String key, GuardProfile.OutputChecks d) {
        if (absent(n)) return d;
        object(n, key);
        known(n, OUTPUT, key + ".");
        Set<String> types = absent(n.path("pii_types")) ? d.piiTypes() : strings(n.path("pii_types"), key + ".pii_types");
        for (String t : types) if (!PiiScanner.TYPES.contains(t) || t.equals("SECRET")) throw new ConfigException(key + ".pii_types: unknown PII type '" + t + "'");
        return new GuardProfile.OutputChecks(action(n, "pii", key + ".pii", d.pii()), types, action(n, "secrets", key + ".secrets", d.secrets()),
                action(n, "deny", key + ".deny", d.deny()), count(n, "max_chars", key));
    }

    private static List<GuardProfile.RuleSpec> rules(JsonNode n, String key) {
        List<GuardProfile.RuleSpec> out = new ArrayList<>();
        if (absent(n)) return out;
        if (!n.isArray()) throw new ConfigException(key + " must be a list of {class, config}");
        for (int i = 0; i < n.size(); i++) {
            JsonNode r = n.get(i);
            String rk = key + "[" + i + "]";
            object(r, rk);
            known(r, RULE, rk + ".");
            if (!r.path("class").isTextual() || r.path("class").asText().isBlank()) throw new ConfigException(rk + ".class is required (a class implementing BusinessRule)");
            JsonNode c = r.path("config");
            Map<String, Object> config = new LinkedHashMap<>();
            if (!absent(c)) {
                object(c, rk + ".config");
                @SuppressWarnings("unchecked")
                Map<String, Object> m = JSON.convertValue(c, Map.class);
                config.putAll(m);
            }
            out.add(new GuardProfile.RuleSpec(r.path("class").asText(), config));
        }
        return out;
    }

    private static GuardAction action(JsonNode n, String key, GuardAction d) {
        return action(n, "action", key + ".action", d);
    }

    private static GuardAction action(JsonNode n, String field, String key, GuardAction d) {
        JsonNode a = n.path(field);
        if (absent(a)) return d;
        if (!a.isTextual()) throw new ConfigException(key + " must be one of block, redact, flag, off");
        try {
            return GuardAction.parse(a.asText());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": " + e.getMessage());
        }
    }

    private static int count(JsonNode n, String field, String key) {
        JsonNode v = n.path(field);
        if (absent(v)) return 0;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) throw new ConfigException(key + "." + field + " must be a whole number ≥ 0 (0 = no limit)");
        return v.asInt();
    }

    private static boolean bool(JsonNode n, String field, String key, boolean d) {
        JsonNode v = n.path(field);
        if (absent(v)) return d;
        if (!v.isBoolean()) throw new ConfigException(key + " must be true or false");
        return v.asBoolean();
    }

    private static Set<String> strings(JsonNode n, String key) {
        Set<String> out = new LinkedHashSet<>();
        if (absent(n)) return out;
        if (!n.isArray()) throw new ConfigException(key + " must be a list of strings");
        for (JsonNode s : n) {
            if (!s.isTextual() || s.asText().isBlank()) throw new ConfigException(key + " must be a list of non-empty strings");
            out.add(s.asText());
        }
        return out;
    }

    private static boolean absent(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull();
    }

    private static void object(JsonNode n, String key) {
        if (!n.isObject()) throw new ConfigException(key + " must be a mapping");
    }

    private static void known(JsonNode n, Set<String> keys, String prefix) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) throw new ConfigException("unknown key '" + prefix + k + "' (known: " + String.join(", ", new java.util.TreeSet<>(keys)) + ")");
        }
    }
}
