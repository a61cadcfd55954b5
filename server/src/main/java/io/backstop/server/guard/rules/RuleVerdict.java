package io.backstop.server.guard.rules;

/** A business rule's answer: allow, flag (allow and record) or block, with a reason the client may read. */
public record RuleVerdict(Kind kind, String reason) {
    public enum Kind { ALLOW, FLAG, BLOCK }

    private static final RuleVerdict ALLOW = new RuleVerdict(Kind.ALLOW, "");

    public static RuleVerdict allow() {
        return ALLOW;
    }

    public static RuleVerdict flag(String reason) {
        return new RuleVerdict(Kind.FLAG, reason);
    }

    public static RuleVerdict block(String reason) {
        return new RuleVerdict(Kind.BLOCK, reason);
    }
}
