package io.backstop.server.observe.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.guard.json.JsonAnswerValidator;
import java.util.List;

/**
 * A judge's verdict: {@code {"score": 1–5, "pass": bool, "reason": "…"}}. The judge is constrained to
 * {@link #SCHEMA} (a local model through the engine's JSON-schema constraint, a remote one through
 * {@code response_format}); the answer is validated against it all the same.
 */
public record Verdict(int score, boolean pass, String reason) {
    public static final String SCHEMA = """
            {"type":"object","properties":{"score":{"type":"integer","enum":[1,2,3,4,5]},"pass":{"type":"boolean"},\
            "reason":{"type":"string","maxLength":300}},"required":["score","pass","reason"],"additionalProperties":false}""";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonAnswerValidator VALIDATOR;

    static {
        try {
            VALIDATOR = JsonAnswerValidator.compile(JSON.readTree(SCHEMA));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The verdict in a judge's answer; {@link IllegalArgumentException} naming what is wrong when it does not fit the schema. */
    public static Verdict parse(String answer) {
        String text = answer == null ? "" : answer.strip();
        List<JsonAnswerValidator.Violation> problems = VALIDATOR.validate(text);
        if (!problems.isEmpty()) {
            var p = problems.get(0);
            throw new IllegalArgumentException("the judge's answer is not a verdict: " + (p.path().isEmpty() ? "" : p.path() + ": ") + p.message());
        }
        try {
            JsonNode n = JSON.readTree(text);
            return new Verdict(n.get("score").asInt(), n.get("pass").asBoolean(), n.get("reason").asText());
        } catch (Exception e) {
            throw new IllegalArgumentException("the judge's answer is not a verdict: " + e.getMessage());
        }
    }

    public static JsonNode schema() {
        try {
            return JSON.readTree(SCHEMA);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
