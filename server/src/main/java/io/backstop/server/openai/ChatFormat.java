package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import io.backstop.server.openai.tools.ToolPlan;
import java.util.List;
import java.util.function.Function;

/** /v1/chat/completions: chat.completion and chat.completion.chunk objects. */
final class ChatFormat implements ResponseFormat {
    private final boolean logprobs;
    private final boolean includeUsage;
    private final ToolPlan tools;
    private final Function<int[], List<String>> tokenTexts;

    /**
     * @param includeUsage stream_options.include_usage: every chunk then carries "usage": null, as OpenAI's do
     * @param tools        how the model's output holds tool calls, or null when the request has no tools
     * @param tokenTexts   the model's text per token (to place marker tokens among the text)
     */
    ChatFormat(boolean logprobs, boolean includeUsage, ToolPlan tools, Function<int[], List<String>> tokenTexts) {
        this.tokenTexts = tokenTexts;
        this.logprobs = logprobs;
        this.includeUsage = includeUsage;
        this.tools = tools != null && tools.scans() ? tools : null;
    }

    @Override
    public String idPrefix() {
        return "chatcmpl-";
    }

    @Override
    public ObjectNode response(Meta meta, List<GenerationResult> results, Usage usage) {
        ObjectNode root = ResponseFormat.base(meta, "chat.completion");
        ArrayNode choices = root.putArray("choices");
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            ObjectNode c = choices.addObject();
            c.put("index", i);
            ObjectNode message = c.putObject("message");
            message.put("role", "assistant");
            String finish = FinishReasons.of(r.finishReason());
            if (tools == null) {
                message.put("content", r.text());
            } else {
                ToolAnswer answer = ToolAnswer.of(tools, r, tokenTexts);
                answer.write(message);
                if (answer.called() && finish.equals("stop")) finish = tools.request().legacy() ? "function_call" : "tool_calls";
            }
            message.putNull("refusal");
            if (logprobs) c.set("logprobs", logprobs(r.logprobs()));
            else c.putNull("logprobs");
            c.put("finish_reason", finish);
        }
        root.set("usage", ResponseFormat.usage(usage));
        return root;
    }

    @Override
    public ObjectNode opening(Meta meta, int index, int[] promptIds, List<TokenLogprob> promptLogprobs) {
        ObjectNode root = ResponseFormat.base(meta, "chat.completion.chunk");
        ObjectNode c = root.putArray("choices").addObject();
        c.put("index", index);
        c.putObject("delta").put("role", "assistant").put("content", "");
        c.putNull("logprobs");
        c.putNull("finish_reason");
        if (includeUsage) root.putNull("usage");
        return root;
    }

    @Override
    public ObjectNode chunk(Meta meta, int index, String text, List<TokenLogprob> lps, String finishReason) {
        ObjectNode root = ResponseFormat.base(meta, "chat.completion.chunk");
        ObjectNode c = root.putArray("choices").addObject();
        c.put("index", index);
        ObjectNode delta = c.putObject("delta");
        if (!text.isEmpty()) delta.put("content", text);
        if (logprobs && !lps.isEmpty()) c.set("logprobs", logprobs(lps));
        else c.putNull("logprobs");
        if (finishReason == null) c.putNull("finish_reason");
        else c.put("finish_reason", finishReason);
        if (includeUsage) root.putNull("usage");
        return root;
    }

    @Override
    public boolean callsTools(GenerationResult r) {
        return tools != null && ToolAnswer.of(tools, r, tokenTexts).called();
    }

    @Override
    public ToolStream toolStream(Meta meta, int index, SseWriter sse) {
        return tools == null ? null : new ToolStream(tools, sse, this, meta, index, contentTemplate(meta, index));
    }

    @Override
    public ContentTemplate contentTemplate(Meta meta, int index) {
        return ResponseFormat.template(chunk(meta, index, MARKER, java.util.List.of(), null), MARKER);
    }

    @Override
    public ObjectNode usageChunk(Meta meta, Usage usage) {
        ObjectNode root = ResponseFormat.base(meta, "chat.completion.chunk");
        root.putArray("choices");
        root.set("usage", ResponseFormat.usage(usage));
        return root;
    }

    private static ObjectNode logprobs(List<TokenLogprob> lps) {
        ObjectNode n = Json.object();
        ArrayNode content = n.putArray("content");
        for (TokenLogprob lp : lps) {
            ObjectNode t = content.addObject();
            t.put("token", lp.text());
            t.put("logprob", lp.logprob());
            bytes(t.putArray("bytes"), lp.bytes());
            ArrayNode top = t.putArray("top_logprobs");
            for (TokenLogprob.Alternative a : lp.top()) {
                ObjectNode alt = top.addObject();
                alt.put("token", a.text());
                alt.put("logprob", a.logprob());
                bytes(alt.putArray("bytes"), a.bytes());
            }
        }
        n.putNull("refusal");
        return n;
    }

    private static void bytes(ArrayNode out, byte[] b) {
        for (byte x : b) out.add(x & 0xFF);
    }
}
