package io.backstop.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import io.backstop.server.TestServer;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.guard.json.JsonAnswerValidator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Function calling through the real server, the official OpenAI Java SDK and the real stories260K model,
 * once per tool-call syntax: Hermes/Qwen ({@code <tool_call>}), Llama 3.1 ({@code {"name", "parameters"}}),
 * Mistral ({@code [TOOL_CALLS] [...]}), each taught by a chat template, and a model whose template knows no
 * tools ({@code raw}: the tools are described in a system message). A story model cannot choose a tool
 * meaningfully, so what is asserted is what constrained decoding guarantees: the exact shape, a function
 * that exists, arguments valid for its schema, and the same calls streamed and whole.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ToolCallingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String WEATHER = """
            {"type":"object","properties":{"city":{"type":"string","maxLength":10},"unit":{"enum":["celsius","fahrenheit"]}},
             "required":["city","unit"],"additionalProperties":false}""";
    static final String TIME = """
            {"type":"object","properties":{"zone":{"type":"string","pattern":"[A-Z][a-z]{2,8}"},"hour24":{"type":"boolean"}},
             "required":["zone","hour24"],"additionalProperties":false}""";
    private static final Map<String, JsonAnswerValidator> SCHEMAS = Map.of("get_weather", validator(WEATHER), "get_time", validator(TIME));

    private TestServer server;
    private OpenAIClient client;

    private static JsonAnswerValidator validator(String schema) {
        try {
            return JsonAnswerValidator.compile(JSON.readTree(schema));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Path template(String name) {
        return Path.of("src/test/resources/templates/" + name).toAbsolutePath();
    }

    @BeforeAll
    void start() {
        server = TestServer.start(c -> c.withModels(List.of(model("hermes", template("hermes-mini.jinja").toString()),
                model("llama3", template("llama3-mini.jinja").toString()), model("mistral", template("mistral-mini.jinja").toString()), model("stories", "raw"))));
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused").maxRetries(0).responseValidation(true).build();
    }

    private static ModelConfig model(String name, String template) {
        return new ModelConfig(name, TestServer.storiesDir(), null, template, 2, 32, false, RequestDefaults.none());
    }

    @AfterAll
    void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    private static FunctionDefinition function(String name, String description, String schema) {
        try {
            Map<String, JsonValue> props = new LinkedHashMap<>();
            JSON.readTree(schema).properties().forEach(e -> props.put(e.getKey(), JsonValue.fromJsonNode(e.getValue())));
            return FunctionDefinition.builder().name(name).description(description)
                    .parameters(FunctionParameters.builder().putAllAdditionalProperties(props).build()).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ChatCompletionCreateParams.Builder ask(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("What is the weather in Paris?").maxCompletionTokens(100)
                .temperature(0.0).addFunctionTool(function("get_weather", "Current weather of a city", WEATHER))
                .addFunctionTool(function("get_time", "Local time in a zone", TIME));
    }

    private static void assertValid(String name, String arguments) {
        assertThat(SCHEMAS).containsKey(name);
        assertThat(SCHEMAS.get(name).validate(arguments)).as(name + " " + arguments).isEmpty();
    }

    private static List<ChatCompletionMessageFunctionToolCall> calls(ChatCompletion c) {
        return c.choices().getFirst().message().toolCalls().orElse(List.of()).stream().map(ChatCompletionMessageToolCall::asFunction).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hermes", "llama3", "mistral"})
    void requiredMakesOneValidCallStreamedExactlyAsWhole(String model) {
        ChatCompletionCreateParams params = ask(model).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).parallelToolCalls(false).build();
        ChatCompletion whole = client.chat().completions().create(params);
        ChatCompletion.Choice choice = whole.choices().getFirst();
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(choice.message().content()).isEmpty();
        List<ChatCompletionMessageFunctionToolCall> calls = calls(whole);
        assertThat(calls).hasSize(1);
        ChatCompletionMessageFunctionToolCall call = calls.getFirst();
        assertThat(call.id()).matches(model.equals("mistral") ? "[A-Za-z0-9]{9}" : "call_[A-Za-z0-9]{24}");
        assertValid(call.function().name(), call.function().arguments());

        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(acc::accumulate);
        }
        ChatCompletion streamed = acc.chatCompletion();
        assertThat(streamed.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        List<ChatCompletionMessageFunctionToolCall> streamedCalls = calls(streamed);
        assertThat(streamedCalls).hasSize(1);
        assertThat(streamedCalls.getFirst().function()).isEqualTo(call.function());
        assertThat(streamedCalls.getFirst().id()).matches(model.equals("mistral") ? "[A-Za-z0-9]{9}" : "call_[A-Za-z0-9]{24}");
    }

    /** raw knows no tools: they and Hermes' instructions go into a system message (long, so one small tool fits stories' context). */
    @Test
    void aTemplateWithoutToolsGetsThemInASystemMessage() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("stories").addUserMessage("Ping?")
                .temperature(0.0).maxCompletionTokens(90).addFunctionTool(FunctionDefinition.builder().name("ping").build())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
        assertThat(c.choices().getFirst().finishReason()).as(c.toString()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(calls(c)).hasSize(1).allSatisfy(call -> {
            assertThat(call.function().name()).isEqualTo("ping");
            assertThat(readJson(call.function().arguments())).as("a function without parameters takes {}").isEqualTo(JSON.createObjectNode());
        });
    }

    @Test
    void aNamedFunctionIsTheOneCalled() {
        ChatCompletionCreateParams params = ask("hermes").toolChoice(ChatCompletionNamedToolChoice.builder()
                .function(ChatCompletionNamedToolChoice.Function.builder().name("get_time").build()).build()).build();
        List<ChatCompletionMessageFunctionToolCall> calls = calls(client.chat().completions().create(params));
        assertThat(calls).isNotEmpty().allSatisfy(c -> {
            assertThat(c.function().name()).isEqualTo("get_time");
            assertValid("get_time", c.function().arguments());
        });
    }

    /** Sampled, seeded: every call of every answer names a tool and validates, with indices and ids in order. */
    @Test
    void sampledParallelCallsAllValidate() {
        for (long seed = 0; seed < 12; seed++) {
            ChatCompletion c = client.chat().completions().create(ask("hermes").temperature(1.0).seed(seed)
                    .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).maxCompletionTokens(160).build());
            List<ChatCompletionMessageFunctionToolCall> calls = calls(c);
            assertThat(calls).as("seed " + seed).isNotEmpty();
            Set<String> ids = new HashSet<>();
            for (ChatCompletionMessageFunctionToolCall call : calls) {
                assertValid(call.function().name(), call.function().arguments());
                assertThat(ids.add(call.id())).isTrue();
            }
        }
    }

    /** Each of n streamed choices carries its own calls, reassembled by the SDK per choice. */
    @Test
    void severalStreamedChoicesEachCarryTheirCalls() {
        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ask("hermes").n(2).seed(3L).temperature(1.0)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).maxCompletionTokens(160).build())) {
            stream.stream().forEach(acc::accumulate);
        }
        ChatCompletion c = acc.chatCompletion();
        assertThat(c.choices()).hasSize(2);
        for (ChatCompletion.Choice choice : c.choices()) {
            assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
            List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
            assertThat(calls).isNotEmpty();
            calls.forEach(call -> assertValid(call.asFunction().function().name(), call.asFunction().function().arguments()));
        }
    }

    /** OpenAI's stream: a delta with index, id, type and name (arguments ""), then argument fragments only. */
    @Test
    void streamedDeltasHaveOpenAisShape() throws Exception {
        String body = "{\"model\":\"hermes\",\"stream\":true,\"temperature\":0,\"max_tokens\":100,\"tool_choice\":\"required\","
                + "\"parallel_tool_calls\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Weather?\"}],\"tools\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"parameters\":" + WEATHER + "}}]}";
        HttpResponse<String> r = post("/v1/chat/completions", body);
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> deltas = new ArrayList<>();
        List<String> finishes = new ArrayList<>();
        for (String event : r.body().split("\n\n")) {
            if (event.equals("data: [DONE]")) continue;
            JsonNode choice = JSON.readTree(event.substring("data: ".length())).at("/choices/0");
            if (choice.hasNonNull("finish_reason")) finishes.add(choice.get("finish_reason").asText());
            if (choice.at("/delta/tool_calls").isArray()) deltas.add(choice.at("/delta/tool_calls/0"));
        }
        assertThat(finishes).containsExactly("tool_calls");
        JsonNode first = deltas.getFirst();
        assertThat(first.get("index").asInt()).isZero();
        assertThat(first.get("id").asText()).startsWith("call_");
        assertThat(first.get("type").asText()).isEqualTo("function");
        assertThat(first.at("/function/name").asText()).isEqualTo("get_weather");
        assertThat(first.at("/function/arguments").asText()).isEmpty();
        StringBuilder args = new StringBuilder();
        for (JsonNode d : deltas.subList(1, deltas.size())) {
            assertThat(d.get("index").asInt()).isZero();
            assertThat(d.has("id")).isFalse();
            assertThat(d.at("/function").has("name")).isFalse();
            args.append(d.at("/function/arguments").asText());
        }
        assertThat(deltas.size()).as("arguments stream in fragments").isGreaterThan(2);
        assertValid("get_weather", args.toString());
    }

    /** With auto the model may answer in prose; once it writes the trigger ({ at the start for Llama 3) the call is held to its schema. */
    @Test
    void autoAnswersInProseOrCallsOnceTheTriggerIsWritten() throws Exception {
        ChatCompletion prose = client.chat().completions().create(ask("hermes").toolChoice(ChatCompletionToolChoiceOption.Auto.AUTO).maxCompletionTokens(20).build());
        assertThat(prose.choices().getFirst().message().toolCalls()).isEmpty();
        assertThat(prose.choices().getFirst().message().content().orElse("")).isNotEmpty();

        JsonNode braceTokens = JSON.readTree(post("/tokenize", "{\"model\":\"llama3\",\"prompt\":\"{\",\"add_special_tokens\":false}").body()).get("tokens");
        int brace = braceTokens.get(braceTokens.size() - 1).asInt();
        ChatCompletion call = client.chat().completions().create(ask("llama3").toolChoice(ChatCompletionToolChoiceOption.Auto.AUTO)
                .logitBias(ChatCompletionCreateParams.LogitBias.builder().putAdditionalProperty(Integer.toString(brace), JsonValue.from(100)).build())
                .build());
        assertThat(call.choices().getFirst().finishReason()).as(call.toString()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(calls(call)).hasSize(1).allSatisfy(c -> assertValid(c.function().name(), c.function().arguments()));
    }

    @Test
    void noneAnswersInProse() {
        ChatCompletion c = client.chat().completions().create(ask("hermes").toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).maxCompletionTokens(10).build());
        assertThat(c.choices().getFirst().message().toolCalls()).isEmpty();
        assertThat(c.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    }

    /** A call and its result in the history, sent back as an agent loop does, reach the model through its template. */
    @Test
    void callsAndResultsInTheHistoryAreRenderedByTheTemplate() throws Exception {
        String history = "[{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
                + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"celsius\\\"}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny\"}]";
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":" + WEATHER + "}}]";
        assertThat(rendered("hermes", history, tools)).isEqualTo("Tools: get_weather. Call as <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>\nWeather?\n"
                + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>\n<tool_response>sunny</tool_response>\n");
        assertThat(rendered("stories", history, tools)).as("raw template: tools in a system message, calls and results as Hermes text")
                .contains("<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"")
                .contains("<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"unit\":\"celsius\"}}\n</tool_call>")
                .contains("<tool_response>\nsunny\n</tool_response>");

        ChatCompletion next = client.chat().completions().create(ChatCompletionCreateParams.builder().model("mistral").maxCompletionTokens(5).temperature(0.0)
                .addUserMessage("Weather?")
                .addMessage(ChatCompletionAssistantMessageParam.builder().addToolCall(ChatCompletionMessageFunctionToolCall.builder().id("abcDEF123")
                        .function(ChatCompletionMessageFunctionToolCall.Function.builder().name("get_weather").arguments("{\"city\":\"Oslo\"}").build()).build()).build())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("abcDEF123").content("rain").build())
                .addFunctionTool(function("get_weather", "Current weather of a city", WEATHER)).build());
        assertThat(next.usage().orElseThrow().promptTokens()).isEqualTo(JSON.readTree(post("/tokenize", "{\"model\":\"mistral\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"Weather?\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"abcDEF123\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"abcDEF123\",\"content\":\"rain\"}],"
                + "\"tools\":" + tools + "}").body()).get("count").asLong());
    }

    private String rendered(String model, String messages, String tools) throws Exception {
        JsonNode ids = JSON.readTree(post("/tokenize", "{\"model\":\"" + model + "\",\"add_special_tokens\":false,\"messages\":" + messages
                + ",\"tools\":" + tools + "}").body()).get("tokens");
        return JSON.readTree(post("/detokenize", "{\"model\":\"" + model + "\",\"tokens\":" + ids + "}").body()).get("prompt").asText();
    }

    /** The legacy functions API answers in its own shape: function_call, finish_reason function_call. */
    @Test
    void legacyFunctionsGetAFunctionCall() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"hermes\",\"temperature\":0,\"max_tokens\":100,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Weather?\"}],\"functions\":[{\"name\":\"get_weather\",\"parameters\":" + WEATHER + "}],\"function_call\":{\"name\":\"get_weather\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode choice = JSON.readTree(r.body()).at("/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("function_call");
        assertThat(choice.at("/message/function_call/name").asText()).isEqualTo("get_weather");
        assertValid("get_weather", choice.at("/message/function_call/arguments").asText());
        assertThat(choice.at("/message").has("tool_calls")).isFalse();
    }

    @Test
    void badToolRequestsAre400NamingTheField() throws Exception {
        String tool = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":" + WEATHER + "}}";
        record Case(String path, String fields, String param, String text) {}
        List<Case> cases = List.of(
                new Case("/v1/chat/completions", "\"tools\":[" + tool + "],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}", "tool_choice", "'nope'"),
                new Case("/v1/chat/completions", "\"tools\":[" + tool + "],\"tool_choice\":\"sometimes\"", "tool_choice", "'sometimes'"),
                new Case("/v1/chat/completions", "\"tool_choice\":\"required\"", "tool_choice", "requires tools"),
                new Case("/v1/chat/completions", "\"tools\":[" + tool + "," + tool + "]", "tools[1].function.name", "used twice"),
                new Case("/v1/chat/completions", "\"tools\":[{\"type\":\"retrieval\"}]", "tools[0].type", "only function tools"),
                new Case("/v1/chat/completions", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"has space\"}}]", "tools[0].function.name", "letters, digits"),
                new Case("/v1/chat/completions", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"strict\":true,\"parameters\":"
                        + "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"patternProperties\":{\"x\":{}}}}}]",
                        "tools[0].function.parameters", "patternProperties"),
                new Case("/v1/chat/completions", "\"tools\":[" + tool + "],\"parallel_tool_calls\":\"yes\"", "parallel_tool_calls", "true or false"),
                new Case("/v1/completions", "\"tools\":[" + tool + "]", "tools", "only supported on /v1/chat/completions"));
        for (Case c : cases) {
            String input = c.path().equals("/v1/completions") ? "\"prompt\":\"x\"" : "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
            HttpResponse<String> r = post(c.path(), "{\"model\":\"hermes\",\"max_tokens\":5," + input + "," + c.fields() + "}");
            assertThat(r.statusCode()).as(c.fields()).isEqualTo(400);
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertThat(error.get("param").asText()).as(c.fields()).isEqualTo(c.param());
            assertThat(error.get("message").asText()).as(c.fields()).contains(c.text());
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        }
        assertThatThrownBy(() -> client.chat().completions().create(ask("hermes").toolChoice(ChatCompletionNamedToolChoice.builder()
                .function(ChatCompletionNamedToolChoice.Function.builder().name("get_news").build()).build()).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("tool_choice"));
    }

    /** A non-strict tool whose schema uses keywords the grammar cannot enforce is still callable (they are dropped, as best effort). */
    @Test
    void aNonStrictSchemaWithUnsupportedKeywordsIsRelaxed() {
        String schema = "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\",\"maxLength\":8,\"not\":{\"const\":\"x\"}}},\"required\":[\"q\"],"
                + "\"additionalProperties\":false}";
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("hermes").addUserMessage("Search").temperature(0.0)
                .maxCompletionTokens(60).addFunctionTool(function("search", "Search", schema)).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
        assertThat(calls(c)).as(c.toString()).hasSize(1).allSatisfy(call -> {
            assertThat(call.function().name()).isEqualTo("search");
            assertThat(validator("{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\",\"maxLength\":8}},\"required\":[\"q\"],"
                    + "\"additionalProperties\":false}").validate(call.function().arguments())).isEmpty();
        });
    }

    private static JsonNode readJson(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
