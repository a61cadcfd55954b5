package io.backstop.server.openai.tools;

import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.ConstraintSpec.Trigger;
import io.backstop.engine.grammar.ir.Expr;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How a model family writes tool calls, as its chat template teaches it. Each format knows the call
 * object's keys, how calls are framed (a grammar for {@code required} and named choices), what starts a
 * call in free text (triggers for {@code auto}), and what may stand between calls.
 */
public enum ToolFormat {
    /** Qwen2.5/Qwen3, Hermes, many fine-tunes: {@code <tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>}, one block per call. */
    HERMES("arguments", List.of(new Trigger("<tool_call>", true, false)), Pattern.compile("(?:\\s|</?tool_call>)*")),
    /** Llama 3.1–3.3: one JSON object {@code {"name": …, "parameters": {…}}} as the whole answer, maybe after {@code <|python_tag|>}. */
    LLAMA3("parameters", List.of(new Trigger("<|python_tag|>", false, false), new Trigger("{", true, true)), Pattern.compile("[\\s;]*")),
    /** Mistral: {@code [TOOL_CALLS]} then a JSON array of {@code {"name": …, "arguments": {…}}}. */
    MISTRAL("arguments", List.of(new Trigger("[TOOL_CALLS]", false, false)), Pattern.compile("[\\s\\[\\],]*"));

    private final String argumentsKey;
    private final List<Trigger> triggers;
    private final Pattern between;

    ToolFormat(String argumentsKey, List<Trigger> triggers, Pattern between) {
        this.argumentsKey = argumentsKey;
        this.triggers = triggers;
        this.between = between;
    }

    /** The key of a call's arguments in this format's call object ("arguments", or Llama's "parameters"). */
    public String argumentsKey() {
        return argumentsKey;
    }

    /** What starts a tool call in otherwise free text. */
    public List<Trigger> triggers() {
        return triggers;
    }

    /** Whether {@code text} may stand between (or around) call objects. */
    boolean allowsBetween(String text) {
        return between.matcher(text).matches();
    }

    /** Whether this format writes several calls in one answer. */
    public boolean parallelCapable() {
        return this != LLAMA3;
    }

    /** The calls, framed as the model writes them: {@code callSchema} for each, 1..max of them. */
    public ConstraintSpec.Framed calls(ConstraintSpec.JsonSchema callSchema, boolean parallel) {
        int max = parallel && parallelCapable() ? Expr.Repeat.UNBOUNDED : 1;
        return switch (this) {
            case HERMES -> new ConstraintSpec.Framed("<tool_call>\n", callSchema, "\n</tool_call>\n<tool_call>\n", "\n</tool_call>", 1, max);
            case LLAMA3 -> new ConstraintSpec.Framed("", callSchema, "", "", 1, 1);
            case MISTRAL -> new ConstraintSpec.Framed(" [", callSchema, ", ", "]", 1, max);
        };
    }

    /**
     * A new call id: OpenAI's {@code call_} and 24 letters and digits, or for Mistral the 9 letters and
     * digits its template insists on when the call comes back in the history.
     */
    public String newCallId() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder(this == MISTRAL ? "" : "call_");
        for (int i = 0, n = this == MISTRAL ? 9 : 24; i < n; i++) sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return sb.toString();
    }

    /** The format a chat template teaches, or null when it shows none of the known syntaxes. */
    public static ToolFormat detect(String templateSource) {
        if (templateSource == null) return null;
        if (templateSource.contains("<tool_call>")) return HERMES;
        if (templateSource.contains("[TOOL_CALLS]")) return MISTRAL;
        if (templateSource.contains("<|python_tag|>") || templateSource.contains("ipython")) return LLAMA3;
        return null;
    }

    /** The configuration name ({@code hermes}, {@code llama3}, {@code mistral}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A format by its configuration name, or null. */
    public static ToolFormat byName(String name) {
        for (ToolFormat f : values()) if (f.configName().equals(name)) return f;
        return null;
    }
}
