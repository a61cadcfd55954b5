package io.backstop.server.guard;

import io.backstop.server.guard.deny.DenyList;
import io.backstop.server.guard.injection.InjectionDetector;
import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.normalize.TextNormalizer;
import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.PiiScanner;
import io.backstop.server.guard.rules.BusinessRule;
import io.backstop.server.guard.rules.RuleVerdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * The input checks of one profile, in order: limits (before anything else), then per text injection,
 * deny list, PII and secrets on one normalisation, then the business rules. The first blocking check
 * ends the check; redactions replace findings by typed placeholders ({@code [EMAIL_1]}) recorded in the
 * decision's {@link Vault}. Thread-safe.
 */
public final class InputGuard {
    private final GuardProfile profile;
    private final InjectionDetector injection;
    private final PiiScanner scanner;
    private final List<BusinessRule> rules;
    private final ToIntFunction<String> tokens;
    private final double threshold;

    /**
     * @param tokens counts the tokens of a text for the token limits (the target model's tokenizer in
     *               the server; {@link #estimateTokens} when it is not known)
     */
    public InputGuard(GuardProfile profile, InjectionDetector injection, List<BusinessRule> rules, ToIntFunction<String> tokens) {
        this.profile = profile;
        this.injection = injection;
        this.rules = List.copyOf(rules);
        this.tokens = tokens;
        this.threshold = Double.isNaN(profile.injection().threshold()) ? injection.defaultThreshold() : profile.injection().threshold();
        Set<String> types = new HashSet<>();
        if (profile.pii().action() != GuardAction.OFF) types.addAll(profile.pii().types());
        if (profile.secrets().action() != GuardAction.OFF) types.add("SECRET");
        this.scanner = new PiiScanner(types);
    }

    /** About four chars per token: a safe-side estimate when the model's tokenizer is not at hand. */
    public static int estimateTokens(String text) {
        return (text.length() + 3) / 4;
    }

    public GuardProfile profile() {
        return profile;
    }

    public GuardDecision check(GuardRequest request) {
        List<CheckResult> results = new ArrayList<>();
        Vault vault = Vault.empty();
        String limit = limits(request);
        if (limit != null) return blocked("limits", limit, request, vault, results, CheckResult.of("limits", GuardAction.BLOCK, 1, limit));

        double maxInjection = 0;
        Map<String, Integer> pii = new LinkedHashMap<>(), secrets = new LinkedHashMap<>(), denied = new LinkedHashMap<>();
        List<GuardMessage> out = new ArrayList<>(request.messages().size());
        DenyList deny = profile.deny().list();
        for (GuardMessage m : request.messages()) {
            NormalizedText t = TextNormalizer.normalize(m.text());
            if (profile.injection().action() != GuardAction.OFF && profile.injection().roles().contains(m.role())) {
                maxInjection = Math.max(maxInjection, injection.score(t).score());
            }
            List<Finding> redact = new ArrayList<>();
            if (profile.deny().action() != GuardAction.OFF && !deny.isEmpty()) {
                for (Finding f : deny.find(t)) {
                    denied.merge(f.rule(), 1, Integer::sum);
                    if (profile.deny().action() == GuardAction.REDACT) redact.add(f);
                }
            }
            for (Finding f : scanner.scan(t)) {
                boolean secret = f.type().equals("SECRET");
                (secret ? secrets : pii).merge(secret ? f.rule() : f.type(), 1, Integer::sum);
                if ((secret ? profile.secrets() : profile.pii()).action() == GuardAction.REDACT) redact.add(f);
            }
            out.add(redact.isEmpty() ? m : new GuardMessage(m.role(), redact(m.text(), redact, vault)));
        }
        if (maxInjection >= threshold) {
            CheckResult r = CheckResult.of("injection", profile.injection().action(), round(maxInjection), "score at or above " + threshold);
            if (r.action() == GuardAction.BLOCK) return blocked("injection", "the request looks like a prompt injection or jailbreak", request, vault, results, r);
            results.add(r);
        }
        CheckResult r;
        if ((r = entityResult("deny", profile.deny().action(), denied)) != null) {
            if (r.action() == GuardAction.BLOCK) return blocked("deny", "the request touches a denied term or topic", request, vault, results, r);
            results.add(r);
        }
        if ((r = entityResult("secrets", profile.secrets().action(), secrets)) != null) {
            if (r.action() == GuardAction.BLOCK) return blocked("secrets", "the request contains a secret (API key, token, password or private key)", request, vault, results, r);
            results.add(r);
        }
        if ((r = entityResult("pii", profile.pii().action(), pii)) != null) {
            if (r.action() == GuardAction.BLOCK) return blocked("pii", "the request contains personal data (" + String.join(", ", pii.keySet()) + ")", request, vault, results, r);
            results.add(r);
        }
        for (BusinessRule rule : rules) {
            RuleVerdict v = rule.onRequest(request);
            String check = "rule:" + rule.name();
            if (v.kind() == RuleVerdict.Kind.BLOCK) return blocked(check, v.reason(), request, vault, results, CheckResult.of(check, GuardAction.BLOCK, 1, v.reason()));
            if (v.kind() == RuleVerdict.Kind.FLAG) results.add(CheckResult.of(check, GuardAction.FLAG, 1, v.reason()));
        }
        return new GuardDecision(false, null, null, out, vault, results);
    }

    private static CheckResult entityResult(String check, GuardAction action, Map<String, Integer> counts) {
        if (counts.isEmpty() || action == GuardAction.OFF) return null;
        return new CheckResult(check, action, 1.0, counts, counts.values().stream().mapToInt(Integer::intValue).sum() + " found");
    }

    private static GuardDecision blocked(String check, String why, GuardRequest request, Vault vault, List<CheckResult> results, CheckResult r) {
        results.add(r);
        return new GuardDecision(true, check, "blocked by guardrail check '" + check + "': " + why, request.messages(), vault, results);
    }

    /** The limits that are exceeded, as a message, or null. */
    private String limits(GuardRequest r) {
        GuardProfile.Limits l = profile.limits();
        if (l.maxMessages() > 0 && r.messages().size() > l.maxMessages()) return r.messages().size() + " messages, more than the limit of " + l.maxMessages();
        long chars = 0;
        Map<String, Long> roleChars = new LinkedHashMap<>();
        for (GuardMessage m : r.messages()) {
            chars += m.text().length();
            roleChars.merge(m.role(), (long) m.text().length(), Long::sum);
        }
        if (l.maxChars() > 0 && chars > l.maxChars()) return chars + " characters, more than the limit of " + l.maxChars();
        for (var e : roleChars.entrySet()) {
            GuardProfile.RoleLimits rl = l.perRole().get(e.getKey());
            if (rl != null && rl.maxChars() > 0 && e.getValue() > rl.maxChars()) {
                return e.getValue() + " characters in " + e.getKey() + " messages, more than the limit of " + rl.maxChars();
            }
        }
        boolean roleTokens = l.perRole().values().stream().anyMatch(x -> x.maxTokens() > 0);
        if (l.maxTokens() <= 0 && !roleTokens) return null;
        long total = 0;
        Map<String, Long> roleTok = new LinkedHashMap<>();
        for (GuardMessage m : r.messages()) {
            int n = tokens.applyAsInt(m.text());
            total += n;
            roleTok.merge(m.role(), (long) n, Long::sum);
        }
        if (l.maxTokens() > 0 && total > l.maxTokens()) return total + " tokens, more than the limit of " + l.maxTokens();
        for (var e : roleTok.entrySet()) {
            GuardProfile.RoleLimits rl = l.perRole().get(e.getKey());
            if (rl != null && rl.maxTokens() > 0 && e.getValue() > rl.maxTokens()) {
                return e.getValue() + " tokens in " + e.getKey() + " messages, more than the limit of " + rl.maxTokens();
            }
        }
        return null;
    }

    /** The text with each finding replaced by its placeholder; overlapping findings merge into the first. */
    static String redact(String text, List<Finding> findings, Vault vault) {
        findings.sort(Comparator.comparingInt(Finding::start).thenComparing(Comparator.comparingInt(Finding::length).reversed()));
        StringBuilder b = new StringBuilder(text.length());
        int pos = 0;
        for (Finding f : findings) {
            if (f.start() < pos) continue;
            b.append(text, pos, f.start()).append(vault.placeholder(f.type(), text.substring(f.start(), f.end())));
            pos = f.end();
        }
        return b.append(text, pos, text.length()).toString();
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
