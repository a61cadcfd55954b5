package io.backstop.server.guard.output;

import io.backstop.server.guard.CheckResult;
import io.backstop.server.guard.GuardAction;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.Vault;
import io.backstop.server.guard.deny.DenyList;
import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.normalize.TextNormalizer;
import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.PiiScanner;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Output checks on a stream of deltas. Like a stop-string matcher it holds back only the tail that a
 * pattern could still need — the unfinished last token, a trailing run of digits and separators (a
 * spaced card or phone number), the longest deny term, an open {@code -----BEGIN … PRIVATE KEY} block, a
 * half-written {@code [EMAIL_1} placeholder — and releases the rest: redacted where a finding is complete,
 * or ended with {@code content_filter} when a blocking check fires. A finding that straddles the release
 * point delays the release to its start, so a secret split over three deltas is redacted whole. The last
 * {@link #CONTEXT} released chars stay as left context ("password = " before its value).
 */
public final class StreamingOutputCheck {
    static final int CONTEXT = 64;
    /** Most text ever held back; past it, text is released even if a pattern might still grow. */
    static final int MAX_HOLD = 16 * 1024;
    private static final int NUMBER_WINDOW = 48;
    private final GuardProfile.OutputChecks checks;
    private final PiiScanner scanner;
    private final DenyList deny;
    private final GuardAction denyAction;
    private final Vault restore;
    private final Vault outputVault = Vault.empty();
    private final StringBuilder pending = new StringBuilder();
    private String context = "";
    private long released;
    private String finish;

    StreamingOutputCheck(GuardProfile profile, PiiScanner scanner, Vault restore) {
        this.checks = profile.output();
        this.scanner = scanner;
        this.deny = profile.deny().list();
        this.denyAction = checks.deny();
        this.restore = restore != null && !restore.isEmpty() ? restore : null;
    }

    /** The next delta of the answer; returns what may be sent now. After a stop, further deltas are ignored. */
    public OutputChunk accept(String delta) {
        if (finish != null) return new OutputChunk("", finish, List.of());
        pending.append(delta);
        return process(false);
    }

    /** End of the answer: releases everything still held (checked and redacted). */
    public OutputChunk finish() {
        if (finish != null) return new OutputChunk("", finish, List.of());
        return process(true);
    }

    public boolean stopped() {
        return finish != null;
    }

    private OutputChunk process(boolean last) {
        String text = context + pending;
        int ctx = context.length();
        List<Finding> findings = findings(text, ctx);
        List<CheckResult> results = new ArrayList<>(0);
        for (Finding f : findings) {
            GuardAction a = action(f);
            if (a == GuardAction.BLOCK) {
                finish = "content_filter";
                results.add(new CheckResult(check(f), GuardAction.BLOCK, f.score(), Map.of(f.type().equals("SECRET") || f.type().equals(DenyList.TYPE) ? f.rule() : f.type(), 1), "in the answer"));
                pending.setLength(0);
                return new OutputChunk("", finish, results);
            }
        }
        int boundary = last ? text.length() : ctx + releasable();
        for (Finding f : findings) if (f.start() < boundary && f.end() > boundary) boundary = Math.max(ctx, f.start());
        StringBuilder out = new StringBuilder(boundary - ctx);
        int pos = ctx;
        for (Finding f : findings) {
            if (f.end() <= pos || f.start() >= boundary) continue;
            GuardAction a = action(f);
            if (a == GuardAction.FLAG) {
                results.add(new CheckResult(check(f), GuardAction.FLAG, f.score(), Map.of(f.type(), 1), "in the answer"));
                continue;
            }
            if (a != GuardAction.REDACT) continue;
            int s = Math.max(pos, f.start());
            out.append(restored(text.substring(pos, s))).append(outputVault.placeholder(f.type(), text.substring(f.start(), f.end())));
            pos = Math.min(f.end(), boundary);
            results.add(new CheckResult(check(f), GuardAction.REDACT, f.score(), Map.of(f.type().equals("SECRET") ? f.rule() : f.type(), 1), "in the answer"));
        }
        if (pos < boundary) out.append(restored(text.substring(pos, boundary)));
        String emitted = out.toString();
        String raw = text.substring(ctx, boundary);
        String rest = text.substring(boundary);
        pending.setLength(0);
        pending.append(rest);
        String released = context + raw;
        context = released.length() > CONTEXT ? released.substring(released.length() - CONTEXT) : released;
        if (checks.maxChars() > 0 && this.released + emitted.length() > checks.maxChars()) {
            emitted = emitted.substring(0, (int) Math.max(0, checks.maxChars() - this.released));
            finish = "length";
            results.add(CheckResult.of("max_length", GuardAction.BLOCK, 1, "answer longer than " + checks.maxChars() + " characters"));
        }
        this.released += emitted.length();
        return new OutputChunk(emitted, finish, results);
    }

    /** Input placeholders back to their originals — in the model's own text only, never in an output placeholder. */
    private String restored(String raw) {
        return restore != null ? restore.restore(raw) : raw;
    }

    private List<Finding> findings(String text, int ctx) {
        boolean scan = scanner != null;
        boolean denyOn = denyAction != GuardAction.OFF && !deny.isEmpty();
        if (!scan && !denyOn) return List.of();
        NormalizedText t = TextNormalizer.normalize(text);
        List<Finding> all = new ArrayList<>();
        if (scan) all.addAll(scanner.scan(t));
        if (denyOn) all.addAll(deny.find(t));
        all.removeIf(f -> f.end() <= ctx); // already released
        all.sort(Comparator.comparingInt(Finding::start));
        return all;
    }

    private GuardAction action(Finding f) {
        if (f.type().equals(DenyList.TYPE)) return denyAction;
        if (f.type().equals("SECRET")) return checks.secrets();
        return checks.pii();
    }

    private static String check(Finding f) {
        return f.type().equals(DenyList.TYPE) ? "deny" : f.type().equals("SECRET") ? "secrets" : "pii";
    }

    /** How much of {@link #pending} can be released now: all but the tail a pattern could still need. */
    private int releasable() {
        int n = pending.length();
        int ws = n - 1;
        while (ws >= 0 && !Character.isWhitespace(pending.charAt(ws))) ws--;
        int hold = n - 1 - ws; // the unfinished last token
        if (n > 0 && Character.isWhitespace(pending.charAt(n - 1))) hold = 0;
        int from = Math.max(0, n - NUMBER_WINDOW);
        for (int i = n - 1; i >= from; i--) { // a trailing run of digits and separators: "+44 20 7123 4"
            char c = pending.charAt(i);
            if (!(Character.isDigit(c) || " -.()+/".indexOf(c) >= 0)) break;
            if (Character.isDigit(c)) hold = Math.max(hold, n - i + 8); // and the word before it ("IBAN DE89 …")
        }
        if (denyAction != GuardAction.OFF && !deny.isEmpty()) hold = Math.max(hold, deny.pendingMatch(pending.subSequence(Math.max(0, n - deny.longestLiteral() - 1), n)));
        int key = pending.lastIndexOf("-----BEGIN");
        if (scanner != null && key >= 0 && pending.indexOf("-----END", key) < 0) hold = Math.max(hold, n - key);
        if (restore != null) {
            int open = pending.lastIndexOf("[");
            if (open >= 0 && pending.indexOf("]", open) < 0 && n - open <= Vault.MAX_PLACEHOLDER) hold = Math.max(hold, n - open);
        }
        hold = Math.min(hold, MAX_HOLD);
        return Math.max(0, n - hold);
    }
}
