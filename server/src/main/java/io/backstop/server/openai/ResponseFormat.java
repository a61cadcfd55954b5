package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import java.util.List;

/** The JSON shapes of one endpoint (chat or legacy completions), whole and as stream chunks. */
interface ResponseFormat {
    String idPrefix();

    /** Identity fields shared by every object of one response. */
    record Meta(String id, long created, String model, String fingerprint) {}

    ObjectNode response(Meta meta, List<GenerationResult> choices, Usage usage);

    /**
     * The chunk that opens a choice in a stream (chat sends the role, completions with echo the prompt),
     * or null; the prompt's ids and log-probabilities are empty unless the prompt was scored.
     */
    ObjectNode opening(Meta meta, int index, int[] promptIds, List<TokenLogprob> promptLogprobs);

    /** A content chunk; {@code finishReason} null for all but the last chunk of a choice. */
    ObjectNode chunk(Meta meta, int index, String text, List<TokenLogprob> logprobs, String finishReason);

    /**
     * A content chunk's bytes around its JSON-quoted text, rendered once per choice so streaming a token
     * costs one string escape and one write (the chunk must equal {@link #chunk} with no logprobs).
     */
    record ContentTemplate(byte[] before, byte[] after) {}

    ContentTemplate contentTemplate(Meta meta, int index);

    /** A streamed choice whose text may hold tool calls, or null when its text is all content. */
    default ToolStream toolStream(Meta meta, int index, SseWriter sse) {
        return null;
    }

    /** Whether a whole choice's output holds tool calls (then it is not held to a requested JSON format). */
    default boolean callsTools(GenerationResult r) {
        return false;
    }

    /** Splits a chunk rendered with a marker text into the bytes before and after the marker. */
    static ContentTemplate template(com.fasterxml.jackson.databind.JsonNode chunk, String marker) {
        String json = Json.write(chunk);
        String quoted = "\"" + marker + "\"";
        int at = json.indexOf(quoted);
        if (at < 0 || json.indexOf(quoted, at + 1) >= 0) throw new IllegalStateException("marker not found once in " + json);
        return new ContentTemplate(json.substring(0, at).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                json.substring(at + quoted.length()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    String MARKER = "@@backstop-content-7f3a@@";

    /** The last chunk when the client asked for usage: no choices, the usage of the whole request. */
    ObjectNode usageChunk(Meta meta, Usage usage);

    static ObjectNode usage(Usage u) {
        ObjectNode n = Json.object();
        n.put("prompt_tokens", u.promptTokens());
        n.put("completion_tokens", u.completionTokens());
        n.put("total_tokens", u.totalTokens());
        return n;
    }

    static ObjectNode base(Meta meta, String object) {
        ObjectNode n = Json.object();
        n.put("id", meta.id());
        n.put("object", object);
        n.put("created", meta.created());
        n.put("model", meta.model());
        n.put("system_fingerprint", meta.fingerprint());
        return n;
    }
}
