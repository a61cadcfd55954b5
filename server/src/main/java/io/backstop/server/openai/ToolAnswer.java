package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.openai.tools.ToolCallScanner;
import io.backstop.server.openai.tools.ToolPlan;
import java.util.ArrayList;
import java.util.List;

/** A whole choice's output split into content and tool calls, written as OpenAI's assistant message. */
final class ToolAnswer implements ToolCallScanner.Sink {
    private record Call(String id, String name, StringBuilder arguments) {}

    private final StringBuilder content = new StringBuilder();
    private final List<Call> calls = new ArrayList<>();
    private final ToolPlan plan;

    private ToolAnswer(ToolPlan plan) {
        this.plan = plan;
    }

    static ToolAnswer of(ToolPlan plan, String text) {
        ToolAnswer a = new ToolAnswer(plan);
        ToolCallScanner scanner = plan.scanner();
        scanner.text(text, a);
        scanner.finish(a);
        return a;
    }

    @Override
    public void content(String text) {
        content.append(text);
    }

    @Override
    public void call(int index, String name) {
        calls.add(new Call(plan.format().newCallId(), name, new StringBuilder()));
    }

    @Override
    public void arguments(int index, String fragment) {
        calls.get(index).arguments().append(fragment);
    }

    boolean called() {
        return !calls.isEmpty();
    }

    /** Fills an assistant message: content (null when only calls were made) and tool_calls or the legacy function_call. */
    void write(ObjectNode message) {
        if (calls.isEmpty()) {
            message.put("content", content.toString());
            return;
        }
        String text = content.toString().strip();
        if (text.isEmpty()) message.putNull("content");
        else message.put("content", text);
        if (plan.request().legacy()) {
            Call c = calls.getFirst();
            message.putObject("function_call").put("name", c.name()).put("arguments", c.arguments().toString());
            return;
        }
        ArrayNode out = message.putArray("tool_calls");
        for (Call c : calls) {
            ObjectNode call = out.addObject().put("id", c.id()).put("type", "function");
            call.putObject("function").put("name", c.name()).put("arguments", c.arguments().toString());
        }
    }
}
