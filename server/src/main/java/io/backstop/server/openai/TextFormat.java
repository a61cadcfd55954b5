package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * /v1/completions: text_completion objects, with the legacy logprobs layout. Choice k answers prompt
 * k / n. With echo the text starts with the prompt, and with logprobs the prompt's tokens are listed
 * first, the very first with a null logprob (nothing precedes it), as OpenAI does.
 */
final class TextFormat implements ResponseFormat {
    private final boolean logprobs;
    private final List<String> echoes;
    private final int n;
    private final Function<int[], List<String>> tokenTexts;
    private final boolean includeUsage;
    /** Per choice: where the next token's text starts in that choice's returned text (streams span chunks). */
    private final Map<Integer, Integer> offsets = new ConcurrentHashMap<>();

    /**
     * @param echoes       per prompt, the text echoed before the completion; null without echo
     * @param tokenTexts   the text each prompt token adds to the echoed prompt
     * @param includeUsage stream_options.include_usage: every chunk then carries "usage": null, as OpenAI's do
     */
    TextFormat(boolean logprobs, List<String> echoes, int n, Function<int[], List<String>> tokenTexts, boolean includeUsage) {
        this.logprobs = logprobs;
        this.echoes = echoes;
        this.n = n;
        this.tokenTexts = tokenTexts;
        this.includeUsage = includeUsage;
    }

    @Override
    public String idPrefix() {
        return "cmpl-";
    }

    private String echo(int index) {
        return echoes == null ? "" : echoes.get(index / n);
    }

    @Override
    public ObjectNode response(Meta meta, List<GenerationResult> results, Usage usage) {
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        ArrayNode choices = root.putArray("choices");
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            List<ObjectNode> entries = new ArrayList<>();
            if (echoes != null) promptEntries(r.promptTokenIds(), r.promptLogprobs(), entries);
            String echo = echo(i);
            int offset = echo.length();
            for (TokenLogprob lp : r.logprobs()) {
                entries.add(entry(lp, offset));
                offset += lp.text().length();
            }
            choice(choices.addObject(), i, echo + r.text(), entries, FinishReasons.of(r.finishReason()));
        }
        root.set("usage", ResponseFormat.usage(usage));
        return root;
    }

    /** With echo: the chunk that opens choice {@code index} with its prompt (and the prompt's logprobs). */
    @Override
    public ObjectNode opening(Meta meta, int index, int[] promptIds, List<TokenLogprob> promptLogprobs) {
        if (echoes == null) return null;
        List<ObjectNode> entries = new ArrayList<>();
        promptEntries(promptIds, promptLogprobs, entries);
        offsets.put(index, echo(index).length());
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        choice(root.putArray("choices").addObject(), index, echo(index), entries, null);
        if (includeUsage) root.putNull("usage");
        return root;
    }

    @Override
    public ObjectNode chunk(Meta meta, int index, String text, List<TokenLogprob> lps, String finishReason) {
        List<ObjectNode> entries = new ArrayList<>();
        int offset = offsets.getOrDefault(index, echo(index).length());
        for (TokenLogprob lp : lps) {
            entries.add(entry(lp, offset));
            offset += lp.text().length();
        }
        offsets.put(index, offset);
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        choice(root.putArray("choices").addObject(), index, text, entries, finishReason);
        if (includeUsage) root.putNull("usage");
        return root;
    }

    @Override
    public ContentTemplate contentTemplate(Meta meta, int index) {
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        choice(root.putArray("choices").addObject(), index, MARKER, List.of(), null);
        if (includeUsage) root.putNull("usage");
        return ResponseFormat.template(root, MARKER);
    }

    @Override
    public ObjectNode usageChunk(Meta meta, Usage usage) {
        ObjectNode root = ResponseFormat.base(meta, "text_completion");
        root.putArray("choices");
        root.set("usage", ResponseFormat.usage(usage));
        return root;
    }

    /**
     * The prompt's tokens: the first without a logprob, each with the text it adds to the echoed prompt,
     * so the tokens concatenate to it and the offsets point into it.
     */
    private void promptEntries(int[] ids, List<TokenLogprob> lps, List<ObjectNode> out) {
        if (!logprobs || lps.isEmpty()) return;
        List<String> texts = tokenTexts.apply(ids);
        int offset = 0;
        for (int j = 0; j < ids.length; j++) {
            TokenLogprob lp = lps.get(j);
            String text = texts.get(j);
            ObjectNode e = Json.object().put("token", text).put("offset", offset);
            if (lp == null) {
                e.putNull("logprob");
                e.putNull("top");
            } else {
                e.put("logprob", lp.logprob());
                e.set("top", alternatives(lp));
            }
            out.add(e);
            offset += text.length();
        }
    }

    private static ObjectNode entry(TokenLogprob lp, int offset) {
        ObjectNode e = Json.object().put("token", lp.text()).put("offset", offset).put("logprob", lp.logprob());
        e.set("top", alternatives(lp));
        return e;
    }

    private static ObjectNode alternatives(TokenLogprob lp) {
        ObjectNode alts = Json.object();
        for (TokenLogprob.Alternative a : lp.top()) alts.put(a.text(), a.logprob());
        return alts;
    }

    /** One choice; its token entries are laid out as OpenAI's parallel arrays. */
    private void choice(ObjectNode c, int index, String text, List<ObjectNode> entries, String finishReason) {
        c.put("text", text);
        c.put("index", index);
        if (logprobs && !entries.isEmpty()) {
            ObjectNode n = c.putObject("logprobs");
            ArrayNode tokens = n.putArray("tokens");
            ArrayNode values = n.putArray("token_logprobs");
            ArrayNode top = n.putArray("top_logprobs");
            ArrayNode textOffsets = n.putArray("text_offset");
            for (ObjectNode e : entries) {
                tokens.add(e.get("token"));
                values.add(e.get("logprob"));
                top.add(e.get("top"));
                textOffsets.add(e.get("offset"));
            }
        } else {
            c.putNull("logprobs");
        }
        if (finishReason == null) c.putNull("finish_reason");
        else c.put("finish_reason", finishReason);
    }
}
