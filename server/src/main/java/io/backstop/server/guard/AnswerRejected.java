package io.backstop.server.guard;

import io.backstop.server.guard.json.JsonAnswerValidator;
import java.util.List;

/**
 * A target's answer that does not match the JSON the request asked for ({@code response_format}):
 * thrown before the answer passes the route's gate, so the next target answers instead (or the
 * route's fallback answer). The message names the first violation's place and rule, never the answer.
 */
public final class AnswerRejected extends RuntimeException {
    private final String target;

    public AnswerRejected(String target, List<JsonAnswerValidator.Violation> violations) {
        super("the answer of " + target + " is outside the requested JSON schema: " + describe(violations));
        this.target = target;
    }

    public String target() {
        return target;
    }

    /** The first violation, without any of the answer's own text (a parse error would quote it). */
    static String describe(List<JsonAnswerValidator.Violation> violations) {
        if (violations.isEmpty()) return "invalid";
        JsonAnswerValidator.Violation v = violations.getFirst();
        if (v.message().startsWith("not valid JSON")) return "not valid JSON";
        String where = v.path().isEmpty() ? "" : v.path() + ": ";
        String more = violations.size() > 1 ? " (and " + (violations.size() - 1) + " more)" : "";
        return where + v.message() + more;
    }
}
