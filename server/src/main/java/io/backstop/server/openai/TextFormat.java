package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import java.util.List;

/** /v1/completions: text_completion objects, with the legacy logprobs layout. */
final class TextFormat implements ResponseFormat {
    private final boolean logprobs;
    private final String echo;
    /** Per choice: where the next token's text starts in that choice's returned text (streams span chunks). */
    private final java.util.Map<Integer, Integer> offsets = new java.util.concurrent.ConcurrentHashMap<>();

    private final boolean includeUsage;

    /**
     * @param echo         the prompt when the client asked for echo, else null
     * @param includeUsage stream_options.include_usage: every chunk then carries "usage": null, as OpenAI's do
     */
    TextFormat(boolean logprobs, String echo, boolean includeUsage) {
        this.logprobs = logprobs;
        this.echo = echo;
        this.includeUsage = includeUsage;
    }

    @Override
    public String idPrefix() {
        return "cmpl-";
    }

    @Override
    public ObjectNode response(Meta meta, List<GenerationResult> results, Usage usage) {
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        ArrayNode choices = root.putArray("choices");
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            choice(choices.addObject(), i, (echo == null ? "" : echo) + r.text(), r.logprobs(), FinishReasons.of(r.finishReason()));
        }
        root.set("usage", ResponseFormat.usage(usage));
        return root;
    }

    @Override
    public ObjectNode opening(Meta meta, int index) {
        if (echo == null) return null;
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        choice(root.putArray("choices").addObject(), index, echo, List.of(), null);
        if (includeUsage) root.putNull("usage");
        return root;
    }

    @Override
    public ObjectNode chunk(Meta meta, int index, String text, List<TokenLogprob> lps, String finishReason) {
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        choice(root.putArray("choices").addObject(), index, text, lps, finishReason);
        if (includeUsage) root.putNull("usage");
        return root;
    }

    @Override
    public ContentTemplate contentTemplate(Meta meta, int index) {
        return ResponseFormat.template(chunk(meta, index, MARKER, java.util.List.of(), null), MARKER);
    }

    @Override
    public ObjectNode usageChunk(Meta meta, Usage usage) {
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        root.putArray("choices");
        root.set("usage", ResponseFormat.usage(usage));
        return root;
    }

    private void choice(ObjectNode c, int index, String text, List<TokenLogprob> lps, String finishReason) {
        c.put("text", text);
        c.put("index", index);
        if (logprobs && !lps.isEmpty()) c.set("logprobs", legacyLogprobs(index, lps));
        else c.putNull("logprobs");
        if (finishReason == null) c.putNull("finish_reason");
        else c.put("finish_reason", finishReason);
    }

    private ObjectNode legacyLogprobs(int index, List<TokenLogprob> lps) {
        ObjectNode n = Json.object();
        ArrayNode tokens = n.putArray("tokens");
        ArrayNode values = n.putArray("token_logprobs");
        ArrayNode top = n.putArray("top_logprobs");
        ArrayNode textOffsets = n.putArray("text_offset");
        // offsets count from the start of the returned text, which begins with the prompt when echoing
        int offset = this.offsets.getOrDefault(index, echo == null ? 0 : echo.length());
        for (TokenLogprob lp : lps) {
            tokens.add(lp.text());
            values.add(lp.logprob());
            ObjectNode alts = top.addObject();
            for (TokenLogprob.Alternative a : lp.top()) alts.put(a.text(), a.logprob());
            textOffsets.add(offset);
            offset += lp.text().length();
        }
        this.offsets.put(index, offset);
        return n;
    }
}
