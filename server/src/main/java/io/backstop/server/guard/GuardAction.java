package io.backstop.server.guard;

import java.util.Locale;

/** What a check does when it fires: stop the request, replace what it found, or only record it. */
public enum GuardAction {
    BLOCK, REDACT, FLAG, OFF;

    public static GuardAction parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown action '" + s + "' (block, redact, flag or off)");
        }
    }

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }
}
