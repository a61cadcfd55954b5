package io.backstop.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.StructuredChatCompletion;
import com.openai.models.chat.completions.StructuredChatCompletionCreateParams;
import io.backstop.server.TestServer;
import io.backstop.server.guard.json.JsonAnswerValidator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code response_format} and the guided-decoding extras of vLLM and llama.cpp on the real server with the
 * real stories260K model: a story model writes no JSON by itself, so every valid answer here is the
 * grammar's doing. Answers are checked with an independent validator (networknt json-schema-validator).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StructuredOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Every supported keyword at least once. */
    static final String EVERY_KEYWORD = """
            {"type":"object","$defs":{"tag":{"type":"string","pattern":"#[a-z]{2,5}"}},
             "properties":{
               "id":{"type":"string","format":"uuid"},
               "born":{"type":"string","format":"date"},
               "kind":{"enum":["cat","dog",3,null]},
               "version":{"const":"v1"},
               "score":{"type":["integer","null"]},
               "ratio":{"type":"number"},
               "ok":{"type":"boolean"},
               "tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"minItems":1,"maxItems":3},
               "owner":{"anyOf":[{"type":"string","minLength":2,"maxLength":6},{"type":"object","properties":{"n":{"type":"integer"}},
                        "required":["n"],"additionalProperties":false}]}},
             "required":["id","born","kind","version","score","ratio","ok","tags","owner"],"additionalProperties":false}""";

    private TestServer server;
    private OpenAIClient client;

    public enum Kind { CAT, DOG }

    /** What the SDK's structured-output helper turns into a strict json_schema. */
    public static class Pet {
        public String name;
        public int age;
        public Kind kind;
        public boolean vaccinated;
    }

    @BeforeAll
    void start() {
        server = TestServer.start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused").maxRetries(0).responseValidation(true).build();
    }

    @AfterAll
    void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    @Test
    void theSdksStructuredOutputHelperGetsItsClassBack() {
        StructuredChatCompletionCreateParams<Pet> params = ChatCompletionCreateParams.builder().model(TestServer.MODEL)
                .addUserMessage("Describe a pet").maxCompletionTokens(120).temperature(0.0).responseFormat(Pet.class).build();
        StructuredChatCompletion<Pet> answer = client.chat().completions().create(params);
        Pet pet = answer.choices().getFirst().message().content().orElseThrow();
        assertThat(pet.name).isNotNull();
        assertThat(pet.kind).isIn(Kind.CAT, Kind.DOG);
        assertThat(answer.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    }

    @Test
    void sampledAnswersValidateAgainstASchemaUsingEveryKeyword() throws Exception {
        JsonAnswerValidator validator = JsonAnswerValidator.compile(JSON.readTree(EVERY_KEYWORD));
        for (int seed = 0; seed < 8; seed++) {
            JsonNode r = chat("\"seed\":" + seed + ",\"max_tokens\":300,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\","
                    + "\"strict\":true,\"schema\":" + EVERY_KEYWORD + "}}");
            String content = r.at("/choices/0/message/content").asText();
            assertThat(validator.validate(content)).as(content).isEmpty();
            assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        }
    }

    @Test
    void aStreamedAnswerIsTheWholeAnswerInPieces() throws Exception {
        String fields = "\"temperature\":0,\"max_tokens\":300,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":"
                + EVERY_KEYWORD + "}}";
        String whole = chat(fields).at("/choices/0/message/content").asText();
        HttpResponse<String> r = post("/v1/chat/completions", body(fields + ",\"stream\":true"));
        StringBuilder streamed = new StringBuilder();
        int pieces = 0;
        for (String event : r.body().split("\n\n")) {
            if (event.equals("data: [DONE]")) continue;
            JsonNode delta = JSON.readTree(event.substring(6)).at("/choices/0/delta/content");
            if (delta.isTextual() && !delta.asText().isEmpty()) {
                streamed.append(delta.asText());
                pieces++;
            }
        }
        assertThat(streamed.toString()).isEqualTo(whole);
        assertThat(pieces).isGreaterThan(5);
        assertThat(JsonAnswerValidator.compile(JSON.readTree(EVERY_KEYWORD)).validate(whole)).isEmpty();
    }

    @Test
    void jsonObjectIsAnObject() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(TestServer.MODEL).addUserMessage("Hi")
                .maxCompletionTokens(80).temperature(0.0).responseFormat(ResponseFormatJsonObject.builder().build()).build());
        String content = c.choices().getFirst().message().content().orElseThrow();
        assertThat(JsonAnswerValidator.compile(JSON.createObjectNode().put("type", "object")).validate(content)).as(content).isEmpty();
    }

    @Test
    void guidedExtrasHoldTheAnswerOnChatAndCompletions() throws Exception {
        for (int seed = 0; seed < 6; seed++) {
            assertThat(chat("\"seed\":" + seed + ",\"guided_choice\":[\"yes\",\"no\",\"maybe not\"]").at("/choices/0/message/content").asText())
                    .isIn("yes", "no", "maybe not");
            assertThat(chat("\"seed\":" + seed + ",\"guided_regex\":\"[0-9]{3}-[a-z]{2,4}\"").at("/choices/0/message/content").asText())
                    .matches("[0-9]{3}-[a-z]{2,4}");
            assertThat(chat("\"seed\":" + seed + ",\"grammar\":\"root ::= (\\\"ha\\\" | \\\"ho\\\")+ \\\"!\\\"\",\"max_tokens\":30")
                    .at("/choices/0/message/content").asText()).matches("(ha|ho)+!");
            assertThat(chat("\"seed\":" + seed + ",\"guided_grammar\":\"root ::= [A-C] [0-9]\"").at("/choices/0/message/content").asText())
                    .matches("[A-C][0-9]");
            String json = chat("\"seed\":" + seed + ",\"guided_json\":\"{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{\\\"n\\\":{\\\"type\\\":\\\"integer\\\"}},"
                    + "\\\"required\\\":[\\\"n\\\"],\\\"additionalProperties\\\":false}\",\"max_tokens\":40").at("/choices/0/message/content").asText();
            assertThat(JSON.readTree(json).get("n").isIntegralNumber()).as(json).isTrue();
            assertThat(JSON.readTree(json).size()).isEqualTo(1);
        }
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":5,\"n\":3,"
                + "\"temperature\":1,\"guided_choice\":[\"cat\",\"dog\"]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        for (JsonNode c : JSON.readTree(r.body()).get("choices")) assertThat(c.get("text").asText()).isIn("cat", "dog");
    }

    @Test
    void badConstraintsAre400NamingTheFieldAndKeyword() throws Exception {
        record Case(String fields, String param, String text) {}
        List<Case> cases = List.of(
                new Case("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"properties\":"
                        + "{\"a\":{\"type\":\"string\",\"not\":{\"const\":\"b\"}}}}}}", "response_format.json_schema.schema", "'not'"),
                new Case("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\",\"properties\":"
                        + "{\"a\":{\"type\":\"string\",\"format\":\"ipv4\"}}}}}", "response_format.json_schema.schema", "ipv4"),
                new Case("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"$ref\":\"#/$defs/none\"}}}",
                        "response_format.json_schema.schema", "$ref"),
                new Case("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":\"yes\",\"schema\":{}}}",
                        "response_format.json_schema.strict", "true or false"),
                new Case("\"response_format\":{\"type\":\"json_schema\"}", "response_format.json_schema", "must be an object"),
                new Case("\"response_format\":{\"type\":\"yaml\"}", "response_format.type", "'yaml' is not supported"),
                new Case("\"response_format\":\"json\"", "response_format", "must be an object with a type"),
                new Case("\"guided_json\":{\"type\":\"object\",\"patternProperties\":{}}", "guided_json", "patternProperties"),
                new Case("\"guided_regex\":\"(a\"", "guided_regex", ""),
                new Case("\"guided_regex\":\"(a)\\\\1\"", "guided_regex", ""),
                new Case("\"guided_choice\":[]", "guided_choice", "non-empty array of strings"),
                new Case("\"guided_choice\":[\"a\",1]", "guided_choice", "non-empty array of strings"),
                new Case("\"grammar\":\"root ::= undefined-rule\"", "grammar", "undefined-rule"),
                new Case("\"guided_grammar\":42", "guided_grammar", "GBNF"),
                new Case("\"guided_choice\":[\"a\"],\"guided_regex\":\"a\"", "guided_choice", "only one output constraint"));
        for (Case c : cases) {
            HttpResponse<String> r = post("/v1/chat/completions", body("\"max_tokens\":5," + c.fields()));
            assertThat(r.statusCode()).as(c.fields() + " → " + r.body()).isEqualTo(400);
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertThat(error.get("param").asText()).as(c.fields()).isEqualTo(c.param());
            assertThat(error.get("message").asText()).as(c.fields()).contains(c.text()).doesNotContain("Exception");
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        }
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model(TestServer.MODEL).addUserMessage("Hi")
                .maxCompletionTokens(5).putAdditionalBodyProperty("guided_regex", com.openai.core.JsonValue.from("[")).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("guided_regex"));
    }

    private static String body(String fields) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me\"}]," + fields + "}";
    }

    private JsonNode chat(String fields) throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", body(fields.contains("max_tokens") ? fields : fields + ",\"max_tokens\":20"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
