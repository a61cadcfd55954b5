package io.backstop.server.openai.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.grammar.ConstraintSpec.Trigger;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a model's output, as it arrives, into content and tool calls written in the model's format.
 * Content flows out at once except text that may be the start of a trigger (held until it is known);
 * after a trigger — or a special-token marker, reported by {@link #marker()} — every top-level JSON
 * object is a call: its name goes out as soon as {@code {"name": "…", "arguments": } is read, then
 * its arguments as they are written. A call written in another key order is reported once complete.
 *
 * <p>Nothing here throws on what a model writes: text that is not a valid call (a name no tool has, text
 * where only call framing may be, broken JSON) marks the scan {@link #failed()}; when that happens
 * before any call went out, the whole tool section is reported as content at {@link #finish}.
 */
public final class ToolCallScanner {
    /** Where the pieces go. */
    public interface Sink {
        void content(String text);

        /** Call {@code index} (0, 1, …) begins; its arguments follow. */
        void call(int index, String name);

        void arguments(int index, String fragment);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern HEAD = Pattern.compile("\\{\\s*\"name\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,\\s*\"(?:arguments|parameters)\"\\s*:\\s*");

    private final ToolFormat format;
    private final Set<String> names;
    private final List<Trigger> triggers;
    private final StringBuilder held = new StringBuilder();
    private boolean sawText;
    private boolean inSection;
    private final StringBuilder section = new StringBuilder();
    private final StringBuilder between = new StringBuilder();
    private StringBuilder obj;
    private int depth;
    private boolean inString, escape;
    private int argsStart = -1; // in obj: where the streamed arguments value starts
    private int argsEnd = -1;
    private int emitted;
    private boolean buffered;
    private int calls;
    private boolean failed;

    /**
     * @param names        the functions a call may name
     * @param sectionFirst the output is all tool calls (tool_choice required or named): no content, no trigger
     */
    public ToolCallScanner(ToolFormat format, Set<String> names, boolean sectionFirst) {
        this.format = format;
        this.names = Set.copyOf(names);
        this.triggers = format.triggers();
        this.inSection = sectionFirst;
    }

    /** Calls reported so far. */
    public int calls() {
        return calls;
    }

    /** Something was not a valid call (see the class comment). */
    public boolean failed() {
        return failed;
    }

    public void text(String delta, Sink out) {
        for (int i = 0; i < delta.length(); i++) {
            char c = delta.charAt(i);
            if (inSection) {
                section.append(c);
                sectionChar(c, out);
            } else {
                contentChar(c, out);
            }
        }
        if (inSection) flushArguments(out);
        else flushContent(out);
    }

    /** A special token that starts the tool section arrived (it has no text). */
    public void marker(Sink out) {
        if (inSection) return;
        emitContent(held.toString(), out);
        held.setLength(0);
        inSection = true;
    }

    /** The output ended: held text goes out; a section without any valid call goes out as content. */
    public void finish(Sink out) {
        if (!inSection) {
            emitContent(held.toString(), out);
            held.setLength(0);
            return;
        }
        if (obj != null) {
            flushArguments(out);
            failed = true; // an unfinished call (the output was cut short)
        }
        if (!format.allowsBetween(between.toString())) failed = true;
        if (calls == 0 && !section.isEmpty()) out.content(section.toString());
    }

    private void contentChar(char c, Sink out) {
        held.append(c);
        for (Trigger t : triggers) {
            String tt = t.text();
            int start = held.length() - tt.length();
            if (start >= 0 && held.indexOf(tt, start) == start && (!t.atStart() || blankBefore(start))) {
                if (!t.atStart()) emitContent(held.substring(0, start), out);
                held.setLength(0);
                inSection = true;
                section.append(tt);
                if (t.partOfBody()) for (int i = 0; i < tt.length(); i++) sectionChar(tt.charAt(i), out);
                return;
            }
        }
    }

    private boolean blankBefore(int end) {
        if (sawText) return false;
        for (int i = 0; i < end; i++) if (!Character.isWhitespace(held.charAt(i))) return false;
        return true;
    }

    /** Emits held content except what may still become a trigger. */
    private void flushContent(Sink out) {
        int keep = 0;
        for (Trigger t : triggers) {
            String tt = t.text();
            if (t.atStart()) {
                if (blankBefore(held.length())) keep = held.length(); // leading whitespace waits for what follows it
                continue;
            }
            for (int len = Math.min(tt.length() - 1, held.length()); len > keep; len--) {
                if (held.indexOf(tt.substring(0, len), held.length() - len) == held.length() - len) {
                    keep = len;
                    break;
                }
            }
        }
        if (held.length() > keep) {
            emitContent(held.substring(0, held.length() - keep), out);
            held.delete(0, held.length() - keep);
        }
    }

    private void emitContent(String text, Sink out) {
        if (text.isEmpty()) return;
        if (!text.isBlank()) sawText = true;
        out.content(text);
    }

    private void sectionChar(char c, Sink out) {
        if (failed) return;
        if (obj == null) {
            if (c != '{') {
                between.append(c);
                return;
            }
            if (!format.allowsBetween(between.toString())) {
                failed = true;
                return;
            }
            between.setLength(0);
            obj = new StringBuilder();
            depth = 0;
            inString = escape = buffered = false;
            argsStart = argsEnd = -1;
        }
        obj.append(c);
        lex(c);
        if (argsStart < 0 && !buffered) readHead(out);
        else if (argsStart >= 0 && argsEnd < 0 && depth == 1 && c == '}') argsEnd = obj.length();
        if (depth == 0) endObject(out);
    }

    private void lex(char c) {
        if (inString) {
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }

    /** Once {"name": "…", "arguments": is read and an object follows, the call goes out and its arguments stream. */
    private void readHead(Sink out) {
        Matcher m = HEAD.matcher(obj);
        if (m.lookingAt()) {
            if (m.end() == obj.length()) return; // the value has not begun
            String name = unescape(m.group(1));
            if (obj.charAt(m.end()) == '{' && names.contains(name)) {
                argsStart = emitted = m.end();
                out.call(calls, name);
            } else {
                buffered = true;
            }
        } else if (!m.hitEnd()) {
            buffered = true;
        }
    }

    private void flushArguments(Sink out) {
        if (obj == null || argsStart < 0) return;
        int end = argsEnd >= 0 ? argsEnd : obj.length();
        if (end > emitted) {
            out.arguments(calls, obj.substring(emitted, end));
            emitted = end;
        }
    }

    private void endObject(Sink out) {
        flushArguments(out);
        JsonNode call = parse(obj.toString());
        String name = call != null && call.path("name").isTextual() ? call.get("name").asText() : null;
        JsonNode args = call == null ? null : call.has(format.argumentsKey()) ? call.get(format.argumentsKey())
                : call.has("arguments") ? call.get("arguments") : call.get("parameters");
        String arguments = arguments(args);
        boolean valid = name != null && names.contains(name) && arguments != null;
        if (argsStart >= 0) {
            if (!valid || argsEnd < 0) failed = true;
            calls++;
        } else if (valid) {
            out.call(calls, name);
            out.arguments(calls, arguments);
            calls++;
        } else {
            failed = true;
        }
        obj = null;
    }

    /** Arguments as JSON text: an object as written, or a string holding one (some models quote them). */
    private static String arguments(JsonNode args) {
        if (args == null) return null;
        if (args.isObject()) return args.toString();
        if (args.isTextual()) {
            JsonNode inner = parse(args.asText());
            return inner != null && inner.isObject() ? args.asText() : null;
        }
        return null;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return null;
        }
    }

    private static String unescape(String jsonStringBody) {
        JsonNode n = parse("\"" + jsonStringBody + "\"");
        return n == null ? jsonStringBody : n.asText();
    }
}
