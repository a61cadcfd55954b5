package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.openai.tools.ToolCallScanner;
import io.backstop.server.openai.tools.ToolPlan;

/**
 * One streamed choice whose output may hold tool calls: content goes out as content deltas, a call as
 * OpenAI streams it — a delta with the call's index, id, type and name (arguments ""), then deltas with
 * fragments of its arguments — or, for the legacy functions API, as function_call deltas.
 */
final class ToolStream implements ToolCallScanner.Sink {
    private final ToolPlan plan;
    private final ToolCallScanner scanner;
    private final SseWriter sse;
    private final ChatFormat format;
    private final ResponseFormat.Meta meta;
    private final int index;
    private final ResponseFormat.ContentTemplate content;

    ToolStream(ToolPlan plan, SseWriter sse, ChatFormat format, ResponseFormat.Meta meta, int index, ResponseFormat.ContentTemplate content) {
        this.plan = plan;
        this.scanner = plan.scanner();
        this.sse = sse;
        this.format = format;
        this.meta = meta;
        this.index = index;
        this.content = content;
    }

    void text(String delta) {
        scanner.text(delta, this);
    }

    /** Every token before its text: a marker token (it writes none) starts the calls. */
    void token(int id) {
        if (plan.markers().contains(id)) scanner.marker(this);
    }

    /** Sends what the scanner still holds; the finish reason becomes tool_calls (function_call) when calls went out. */
    String finish(String finishReason) {
        scanner.finish(this);
        if (scanner.calls() == 0 || !finishReason.equals("stop")) return finishReason;
        return plan.request().legacy() ? "function_call" : "tool_calls";
    }

    @Override
    public void content(String text) {
        if (!text.isEmpty()) sse.content(content, text);
    }

    @Override
    public void call(int call, String name) {
        if (plan.request().legacy() && call > 0) return;
        ObjectNode chunk = format.chunk(meta, index, "", java.util.List.of(), null);
        ObjectNode delta = (ObjectNode) chunk.at("/choices/0/delta");
        if (plan.request().legacy()) {
            delta.putObject("function_call").put("name", name).put("arguments", "");
        } else {
            ObjectNode c = delta.putArray("tool_calls").addObject().put("index", call).put("id", plan.format().newCallId()).put("type", "function");
            c.putObject("function").put("name", name).put("arguments", "");
        }
        sse.event(chunk);
    }

    @Override
    public void arguments(int call, String fragment) {
        if (plan.request().legacy() && call > 0) return;
        ObjectNode chunk = format.chunk(meta, index, "", java.util.List.of(), null);
        ObjectNode delta = (ObjectNode) chunk.at("/choices/0/delta");
        if (plan.request().legacy()) delta.putObject("function_call").put("arguments", fragment);
        else delta.putArray("tool_calls").addObject().put("index", call).putObject("function").put("arguments", fragment);
        sse.event(chunk);
    }
}
