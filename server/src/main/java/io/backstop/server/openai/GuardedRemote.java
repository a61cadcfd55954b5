package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.guard.AnswerRejected;
import io.backstop.server.guard.InputGuard;
import io.backstop.server.guard.RequestGuard;
import io.backstop.server.guard.output.OutputChunk;
import io.backstop.server.guard.output.StreamingOutputCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output checks of a remote answer, on the provider's own JSON: a whole answer is checked (and its
 * JSON validated) before it passes the gate; a stream that must be valid JSON is held until complete
 * and checked the same way ({@link #held}); any other stream is checked event by event as it is relayed
 * ({@link Relay}). Only the content of each choice changes, and finish reasons the checks impose.
 */
final class GuardedRemote {
    private GuardedRemote() {}

    /**
     * A whole answer as the client gets it.
     *
     * @throws AnswerRejected when a choice is not the JSON the request asked for
     */
    static JsonNode whole(RequestGuard guard, JsonNode answer, boolean chat, String target) {
        if (!guard.checksOutput() && !guard.validatesJson()) return answer;
        ObjectNode out = answer.deepCopy();
        for (JsonNode c : out.path("choices")) {
            JsonNode content = chat ? c.path("message").path("content") : c.path("text");
            if (!content.isTextual()) continue; // e.g. tool calls only
            RequestGuard.Checked checked = guard.check(content.asText());
            if (!checked.valid()) throw new AnswerRejected(target, checked.violations());
            if (chat) ((ObjectNode) c.get("message")).put("content", checked.text());
            else ((ObjectNode) c).put("text", checked.text());
            if (checked.finishReason() != null) ((ObjectNode) c).put("finish_reason", checked.finishReason());
        }
        return out;
    }

    /** The answer's text and token usage, for the business rules (usage estimated when the provider sent none). */
    static void answered(RequestGuard guard, JsonNode answer, boolean chat) {
        StringBuilder text = new StringBuilder();
        for (JsonNode c : answer.path("choices")) text.append(chat ? c.path("message").path("content").asText("") : c.path("text").asText(""));
        answered(guard, text.toString(), answer.path("usage"));
    }

    static void answered(RequestGuard guard, String text, JsonNode usage) {
        int completion = usage.path("completion_tokens").asInt(InputGuard.estimateTokens(text));
        guard.answered(text, usage.path("prompt_tokens").asInt(guard.estimatedPromptTokens()), completion);
    }

    /**
     * A complete stream (its events' data, in order), checked as a whole: each choice's content events are
     * replaced by one event with the checked text, sent where the choice finishes.
     *
     * @throws AnswerRejected when a choice is not the JSON the request asked for
     */
    /** A held stream after its checks: the events to send, and the text and usage the business rules hear of once it is sent. */
    record Held(List<String> events, String text, JsonNode usage) {}

    static Held held(RequestGuard guard, List<String> events, boolean chat, String target) {
        List<ObjectNode> parsed = new ArrayList<>(events.size());
        Map<Integer, StringBuilder> texts = new LinkedHashMap<>();
        for (String e : events) {
            ObjectNode n = parse(e);
            parsed.add(n);
            for (JsonNode c : n.path("choices")) {
                String t = content(c, chat);
                if (t != null) texts.computeIfAbsent(c.path("index").asInt(), i -> new StringBuilder()).append(t);
            }
        }
        Map<Integer, RequestGuard.Checked> checked = new HashMap<>();
        StringBuilder all = new StringBuilder();
        for (var e : texts.entrySet()) {
            RequestGuard.Checked c = guard.check(e.getValue().toString());
            if (!c.valid()) throw new AnswerRejected(target, c.violations());
            checked.put(e.getKey(), c);
            all.append(c.text());
        }
        List<String> out = new ArrayList<>();
        JsonNode usage = Json.MAPPER.missingNode();
        for (ObjectNode n : parsed) {
            if (n.path("usage").isObject()) usage = n.path("usage");
            for (JsonNode cn : n.path("choices")) {
                ObjectNode c = (ObjectNode) cn;
                int i = c.path("index").asInt();
                if (content(c, chat) != null) setContent(c, chat, "");
                if (c.hasNonNull("finish_reason") && checked.containsKey(i)) { // the checked text goes just before its finish
                    RequestGuard.Checked k = checked.remove(i);
                    out.add(Json.write(contentEvent(n, i, chat, k.text())));
                    if (k.finishReason() != null) c.put("finish_reason", k.finishReason());
                }
            }
            if (!onlyEmptyContent(n, chat)) out.add(Json.write(n));
        }
        for (var e : checked.entrySet()) out.add(Json.write(contentEvent(parsed.getFirst(), e.getKey(), chat, e.getValue().text())));
        return new Held(out, all.toString(), usage);
    }

    private static boolean onlyEmptyContent(ObjectNode n, boolean chat) {
        if (!n.path("choices").isArray() || n.path("choices").isEmpty() || n.path("usage").isObject()) return false;
        for (JsonNode c : n.path("choices")) {
            if (c.hasNonNull("finish_reason")) return false;
            if (chat && (c.path("delta").has("role") || c.path("delta").has("tool_calls"))) return false;
            String t = content(c, chat);
            if (t != null && !t.isEmpty()) return false;
        }
        return true;
    }

    /**
     * Checks a live stream event by event. Content is passed through each choice's streaming check (held,
     * redacted, or stopped); a choice's held text is released just before its finish event; a blocked choice
     * ends at once with {@code content_filter}.
     */
    static final class Relay {
        private final RequestGuard guard;
        private final boolean chat;
        private final Map<Integer, StreamingOutputCheck> checks = new HashMap<>();
        private final Map<Integer, String> stopped = new HashMap<>();
        private final StringBuilder sent = new StringBuilder();
        private ObjectNode template;
        private JsonNode usage = Json.MAPPER.missingNode();

        Relay(RequestGuard guard, boolean chat) {
            this.guard = guard;
            this.chat = chat;
        }

        /** The events to send for one upstream event (none while text is held back). */
        List<String> event(String data) {
            ObjectNode n = parse(data);
            if (template == null) template = n;
            if (n.path("usage").isObject()) usage = n.path("usage");
            List<String> out = new ArrayList<>(2);
            boolean keep = false;
            for (JsonNode cn : n.path("choices")) {
                ObjectNode c = (ObjectNode) cn;
                int i = c.path("index").asInt();
                if (stopped.containsKey(i)) { // ended by a check: nothing more of this choice
                    setContent(c, chat, "");
                    c.putNull("finish_reason");
                    continue;
                }
                StreamingOutputCheck check = checks.computeIfAbsent(i, k -> guard.openStream());
                String t = content(c, chat);
                if (t != null && !t.isEmpty()) {
                    OutputChunk oc = check.accept(t);
                    guard.recordOutput(oc.results());
                    setContent(c, chat, oc.text());
                    sent.append(oc.text());
                    if (oc.stopped()) {
                        stop(i, oc.finishReason(), c);
                        keep = true;
                        continue;
                    }
                    keep |= !oc.text().isEmpty();
                }
                if (c.hasNonNull("finish_reason")) {
                    OutputChunk rest = check.finish();
                    guard.recordOutput(rest.results());
                    sent.append(rest.text());
                    if (!rest.text().isEmpty()) out.add(Json.write(contentEvent(n, i, chat, rest.text())));
                    if (rest.stopped()) c.put("finish_reason", rest.finishReason());
                    keep = true;
                }
                if (chat && (c.path("delta").has("role") || c.path("delta").has("tool_calls"))) keep = true;
            }
            if (keep || !n.path("choices").isArray() || n.path("choices").isEmpty() || n.path("usage").isObject()) out.add(Json.write(n));
            return out;
        }

        private void stop(int i, String finishReason, ObjectNode c) {
            stopped.put(i, finishReason);
            c.put("finish_reason", finishReason);
        }

        /** Whether every choice seen so far was ended by a check (the upstream may then be closed). */
        boolean allStopped() {
            return !checks.isEmpty() && stopped.keySet().containsAll(checks.keySet());
        }

        /** At the end of the stream: what choices that never sent a finish reason still hold. */
        List<String> end() {
            List<String> out = new ArrayList<>();
            for (var e : checks.entrySet()) {
                if (stopped.containsKey(e.getKey())) continue;
                OutputChunk rest = e.getValue().finish();
                guard.recordOutput(rest.results());
                sent.append(rest.text());
                if (!rest.text().isEmpty() && template != null) out.add(Json.write(contentEvent(template, e.getKey(), chat, rest.text())));
            }
            answered(guard, sent.toString(), usage);
            return out;
        }
    }

    /** A content event for choice {@code index}, with the identity fields of {@code like}. */
    private static ObjectNode contentEvent(ObjectNode like, int index, boolean chat, String text) {
        ObjectNode n = Json.object();
        for (String f : List.of("id", "object", "created", "model", "system_fingerprint")) if (like.has(f)) n.set(f, like.get(f));
        ObjectNode c = n.putArray("choices").addObject();
        c.put("index", index);
        if (chat) c.putObject("delta").put("content", text);
        else c.put("text", text);
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return n;
    }

    private static String content(JsonNode c, boolean chat) {
        JsonNode t = chat ? c.path("delta").path("content") : c.path("text");
        return t.isTextual() ? t.asText() : null;
    }

    private static void setContent(ObjectNode c, boolean chat, String text) {
        if (chat) {
            if (c.path("delta").isObject()) ((ObjectNode) c.get("delta")).put("content", text);
        } else {
            c.put("text", text);
        }
    }

    private static ObjectNode parse(String data) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(data); // the upstream stream passes only JSON objects
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
