package io.backstop.engine.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.ChatMessage;
import io.backstop.engine.TestModels;
import io.backstop.engine.ToolDefinition;
import io.backstop.engine.backend.gguf.file.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tools, tool calls and tool results through real chat templates — Qwen3's (from the qwen2 GGUF's
 * metadata), Llama 3.1's and Mistral v0.3's — rendered as Hugging Face's transformers renders them.
 */
class ToolTemplatesTest {
    static final ToolDefinition WEATHER = new ToolDefinition("get_weather", "Weather of a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}");
    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("Be brief."),
            ChatMessage.user("Weather in Paris?"),
            ChatMessage.assistant("", List.of(new ChatMessage.ToolCall("abcDEF123", "get_weather", "{\"city\":\"Paris\"}"))),
            ChatMessage.tool("abcDEF123", "get_weather", "{\"temp\": 21}"));

    static ChatTemplate qwen3() {
        try (GgufFile f = GgufFile.open(TestModels.shared().resolve("models/gguf-vocab/qwen2.gguf"))) {
            return new ChatTemplate.Jinja("qwen3", f.metadata().string("tokenizer.chat_template"), "", "<|im_end|>");
        }
    }

    static ChatTemplate resource(String name, String eos) throws IOException {
        return new ChatTemplate.Jinja(name, Files.readString(Path.of("src/test/resources/templates/" + name)), "<s>", eos);
    }

    @Test
    void qwen3ListsToolsAndRendersCallsAndResultsInItsHermesFormat() {
        ChatTemplate t = qwen3();
        assertThat(t.rendersTools()).isTrue();
        assertThat(t.render(CONVERSATION, List.of(WEATHER))).isEqualTo("""
                <|im_start|>system
                Be brief.

                # Tools

                You may call one or more functions to assist with the user query.

                You are provided with function signatures within <tools></tools> XML tags:
                <tools>
                {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", \
                "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
                </tools>

                For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
                <tool_call>
                {"name": <function-name>, "arguments": <args-json-object>}
                </tool_call><|im_end|>
                <|im_start|>user
                Weather in Paris?<|im_end|>
                <|im_start|>assistant
                <tool_call>
                {"name": "get_weather", "arguments": {"city": "Paris"}}
                </tool_call><|im_end|>
                <|im_start|>user
                <tool_response>
                {"temp": 21}
                </tool_response><|im_end|>
                <|im_start|>assistant
                """);
    }

    @Test
    void qwen3WithoutToolsRendersAPlainChat() {
        assertThat(qwen3().render(List.of(ChatMessage.user("Hi")), List.of()))
                .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void llama31PutsToolsInTheFirstUserMessageAsIndentedJson() throws IOException {
        String p = resource("llama-3.1-instruct.jinja", "<|eot_id|>").render(CONVERSATION, List.of(WEATHER));
        assertThat(p).startsWith("<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n");
        assertThat(p).contains("""
                Do not use variables.

                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Weather of a city",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "city": {
                                    "type": "string"
                                }
                            },
                            "required": [
                                "city"
                            ]
                        }
                    }
                }

                Weather in Paris?<|eot_id|>""");
        assertThat(p).endsWith("""
                <|start_header_id|>assistant<|end_header_id|>

                {"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>

                {"temp": 21}<|eot_id|><|start_header_id|>assistant<|end_header_id|>

                """);
    }

    @Test
    void mistralRendersAvailableToolsCallsWithIdsAndResults() throws IOException {
        String p = resource("mistral-7b-instruct-v0.3.jinja", "</s>").render(CONVERSATION.subList(1, 4), List.of(WEATHER));
        assertThat(p).isEqualTo("[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather of a city\", "
                + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}][/AVAILABLE_TOOLS]"
                + "[INST] Weather in Paris?[/INST][TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abcDEF123\"}]</s>"
                + "[TOOL_RESULTS] {\"content\": {\"temp\": 21}, \"call_id\": \"abcDEF123\"}[/TOOL_RESULTS]");
    }

    @Test
    void aTemplateWithoutToolsSaysSo() {
        assertThat(new ChatTemplate.Jinja("plain", "{% for m in messages %}{{ m.content }}{% endfor %}", "", "").rendersTools()).isFalse();
        assertThat(new ChatTemplate.Raw().rendersTools()).isFalse();
    }

    @Test
    void tojsonWritesWhatPythonsJsonDumpsWrites() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("s", "a\"b\\c\nd\u0001é");
        v.put("n", List.of(1, 2.5, 1e20, 1e-7, 100.0, -0.5));
        v.put("e", Map.of());
        v.put("b", List.of(true, false));
        v.put("z", null);
        assertThat(PythonJsonFilter.dumps(v, -1))
                .isEqualTo("{\"s\": \"a\\\"b\\\\c\\nd\\u0001é\", \"n\": [1, 2.5, 1e+20, 1e-07, 100.0, -0.5], \"e\": {}, \"b\": [true, false], \"z\": null}");
        assertThat(PythonJsonFilter.dumps(Map.of("a", List.of(1)), 2)).isEqualTo("{\n  \"a\": [\n    1\n  ]\n}");
    }

    @Test
    void pythonStringMethodsWorkInTemplates() {
        ChatTemplate t = new ChatTemplate.Jinja("py", "{% for m in messages %}"
                + "{{ m.content.startswith('<a>') }},{{ m.content.endswith(('x', 'b>')) }},{{ m.content.split('</think>')[-1].lstrip('\\n') }},"
                + "{{ m.content.strip('<>') }}|{{ '  a  b '.split() | join('+') }}{% endfor %}", "", "");
        assertThat(t.render(List.of(ChatMessage.user("<a>why</think>\nso<b>")))).isEqualTo("true,true,so<b>,a>why</think>\nso<b|a+b");
    }

    @Test
    void jinja2FormsJinjavaReadsDifferentlyAreRewritten() {
        ChatTemplate t = new ChatTemplate.Jinja("compat", """
                {%- set ns = namespace(last=messages|length - 1, seen=false) %}{{ ns.last }};\
                {%- for m in messages[::-1] %}{{ m.content }}{% endfor %};\
                {%- if not messages|length == 1 %}many{% else %}one{% endif %}""", "", "");
        assertThat(t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")))).isEqualTo("1;ba;many");
        assertThat(t.render(List.of(ChatMessage.user("a")))).isEqualTo("0;a;one");
    }
}
