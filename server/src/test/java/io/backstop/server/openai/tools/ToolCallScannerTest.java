package io.backstop.server.openai.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Splitting a model's output into content and tool calls as it streams, in every format, whatever the
 * pieces: what comes out (content, calls, argument fragments) is the same for any split of the text.
 */
class ToolCallScannerTest {
    /** What a sink received: content and calls as "name(arguments)". */
    static final class Recorded implements ToolCallScanner.Sink {
        final StringBuilder content = new StringBuilder();
        final List<String> names = new ArrayList<>();
        final List<StringBuilder> args = new ArrayList<>();

        @Override
        public void content(String text) {
            content.append(text);
        }

        @Override
        public void call(int index, String name) {
            assertThat(index).isEqualTo(names.size());
            names.add(name);
            args.add(new StringBuilder());
        }

        @Override
        public void arguments(int index, String fragment) {
            args.get(index).append(fragment);
        }

        List<String> calls() {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) out.add(names.get(i) + args.get(i));
            return out;
        }
    }

    private static Recorded scan(ToolFormat format, boolean sectionFirst, String text, int piece) {
        ToolCallScanner s = new ToolCallScanner(format, Set.of("get_weather", "get_time"), sectionFirst);
        Recorded r = new Recorded();
        for (int i = 0; i < text.length(); i += piece) s.text(text.substring(i, Math.min(text.length(), i + piece)), r);
        s.finish(r);
        return r;
    }

    /** The same result for pieces of 1, 2, 3, 7 characters and the whole text. */
    private static Recorded scanAnySplit(ToolFormat format, boolean sectionFirst, String text) {
        Recorded whole = scan(format, sectionFirst, text, text.length());
        for (int piece : new int[] {1, 2, 3, 7}) {
            Recorded r = scan(format, sectionFirst, text, piece);
            assertThat(r.content.toString()).as("piece " + piece).isEqualTo(whole.content.toString());
            assertThat(r.calls()).as("piece " + piece).isEqualTo(whole.calls());
        }
        return whole;
    }

    @Test
    void hermesProseThenParallelCalls() {
        Recorded r = scanAnySplit(ToolFormat.HERMES, false, "Let me check. <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"Europe/Paris\", \"nested\": {\"a\": [1, {\"b\": \"}\"}]}}}\n</tool_call>");
        assertThat(r.content.toString()).isEqualTo("Let me check. ");
        assertThat(r.calls()).containsExactly("get_weather{\"city\": \"Paris\"}",
                "get_time{\"zone\": \"Europe/Paris\", \"nested\": {\"a\": [1, {\"b\": \"}\"}]}}");
    }

    @Test
    void textThatOnlyStartsLikeATriggerIsContent() {
        Recorded r = scanAnySplit(ToolFormat.HERMES, false, "a <tool and <tool_cal b <");
        assertThat(r.content.toString()).isEqualTo("a <tool and <tool_cal b <");
        assertThat(r.calls()).isEmpty();
    }

    @Test
    void llama3CallsAreABareObjectAtTheStartOnly() {
        Recorded call = scanAnySplit(ToolFormat.LLAMA3, false, " {\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}");
        assertThat(call.calls()).containsExactly("get_time{\"zone\": \"UTC\"}");
        assertThat(call.content.toString()).isBlank();
        Recorded prose = scanAnySplit(ToolFormat.LLAMA3, false, "Use {\"name\": \"get_time\"} later.");
        assertThat(prose.calls()).isEmpty();
        assertThat(prose.content.toString()).isEqualTo("Use {\"name\": \"get_time\"} later.");
    }

    @Test
    void mistralCallsAreAnArrayAfterTheirMarker() {
        Recorded r = scanAnySplit(ToolFormat.MISTRAL, false, "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}, "
                + "{\"name\": \"get_time\", \"arguments\": {}}]");
        assertThat(r.calls()).containsExactly("get_weather{\"city\": \"Oslo\"}", "get_time{}");
        assertThat(r.content.toString()).isEmpty();
    }

    /** Mistral's [TOOL_CALLS] is a special token: it writes no text, the scanner is told of it. */
    @Test
    void aMarkerTokenStartsTheCallsWithoutText() {
        ToolCallScanner s = new ToolCallScanner(ToolFormat.MISTRAL, Set.of("get_time"), false);
        Recorded r = new Recorded();
        s.text("Checking", r);
        s.marker(r);
        s.text(" [{\"name\": \"get_time\", \"arguments\": {\"zone\": \"UTC\"}}]", r);
        s.finish(r);
        assertThat(r.content.toString()).isEqualTo("Checking");
        assertThat(r.calls()).containsExactly("get_time{\"zone\": \"UTC\"}");
    }

    @Test
    void aCallInAnotherKeyOrderOrWithQuotedArgumentsIsReportedWhole() {
        Recorded r = scanAnySplit(ToolFormat.HERMES, true, "<tool_call>\n{\"arguments\": {\"city\": \"Rome\"}, \"name\": \"get_weather\"}\n</tool_call>"
                + "<tool_call>{\"name\": \"get_time\", \"arguments\": \"{\\\"zone\\\": \\\"UTC\\\"}\"}</tool_call>");
        assertThat(r.calls()).containsExactly("get_weather{\"city\":\"Rome\"}", "get_time{\"zone\": \"UTC\"}");
    }

    @Test
    void anUnknownFunctionOrBrokenCallLeavesTheTextAsContent() {
        String unknown = "<tool_call>\n{\"name\": \"launch\", \"arguments\": {}}\n</tool_call>";
        Recorded r = scanAnySplit(ToolFormat.HERMES, false, unknown);
        assertThat(r.calls()).isEmpty();
        assertThat(r.content.toString()).isEqualTo(unknown);
        String cut = "<tool_call>\n{\"name\": \"get_weather\", \"argu";
        Recorded c = scanAnySplit(ToolFormat.HERMES, false, cut);
        assertThat(c.calls()).isEmpty();
        assertThat(c.content.toString()).isEqualTo(cut);
    }

    /** The syntax is read from the real templates of Llama 3.1, Mistral v0.3 and Qwen3. */
    @Test
    void formatsAreDetectedFromRealTemplates() throws Exception {
        Path templates = Path.of("../engine/src/test/resources/templates");
        assertThat(ToolFormat.detect(Files.readString(templates.resolve("llama-3.1-instruct.jinja")))).isEqualTo(ToolFormat.LLAMA3);
        assertThat(ToolFormat.detect(Files.readString(templates.resolve("mistral-7b-instruct-v0.3.jinja")))).isEqualTo(ToolFormat.MISTRAL);
        try (GgufFile f = GgufFile.open(TestServer.shared().resolve("models/gguf-vocab/qwen2.gguf"))) {
            assertThat(ToolFormat.detect(f.metadata().string("tokenizer.chat_template"))).isEqualTo(ToolFormat.HERMES);
        }
        assertThat(ToolFormat.detect("{{ messages }}")).isNull();
    }
}
