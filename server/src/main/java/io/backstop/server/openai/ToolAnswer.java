package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.openai.tools.ToolCallScanner;
import io.backstop.server.openai.tools.ToolPlan;
import io.backstop.engine.GenerationResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** A whole choice's output split into content and tool calls, written as OpenAI's assistant message. */
final class ToolAnswer implements ToolCallScanner.Sink {
    private record Call(String id, String name, StringBuilder arguments) {}

    private final StringBuilder content = new StringBuilder();
    private final List<Call> calls = new ArrayList<>();
    private final ToolPlan plan;

    private ToolAnswer(ToolPlan plan) {
        this.plan = plan;
    }

    /**
     * @param tokenTexts the text each token wrote, to find where a marker token (which writes none) stood;
     *                   used only when the output holds one
     */
    static ToolAnswer of(ToolPlan plan, GenerationResult r, Function<int[], List<String>> tokenTexts) {
        ToolAnswer a = new ToolAnswer(plan);
        ToolCallScanner scanner = plan.scanner();
        int[] ids = r.tokenIds();
        if (Arrays.stream(ids).noneMatch(plan.markers()::contains)) {
            scanner.text(r.text(), a);
        } else {
            List<String> texts = tokenTexts.apply(ids);
            for (int i = 0; i < ids.length; i++) {
                if (plan.markers().contains(ids[i])) scanner.marker(a);
                else scanner.text(texts.get(i), a);
            }
        }
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
