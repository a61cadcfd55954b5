package io.backstop.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /v1/completions as OpenAI defines it and as scoring tools (lm-eval) and LangChain use it: several
 * prompts per request, echo with the prompt's log-probabilities, max_tokens 0 to score a prompt, the
 * default of 16 tokens, and the context-length wording.
 */
class CompletionsContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String NO_EOS = ",\"logit_bias\":{\"1\":-100,\"2\":-100}";
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode complete(String fields) throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories\",\"temperature\":0," + fields + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static JsonNode ids(String text) throws Exception {
        return JSON.readTree(post("/tokenize", "{\"model\":\"stories\",\"prompt\":\"" + text + "\"}").body()).get("tokens");
    }

    @Test
    void aListOfPromptsGetsNChoicesEachPromptMajor() throws Exception {
        JsonNode dogIds = ids("The little dog");
        JsonNode r = complete("\"prompt\":[\"Once upon a time\"," + dogIds + "],\"n\":2,\"max_tokens\":5" + NO_EOS);
        String once = complete("\"prompt\":\"Once upon a time\",\"max_tokens\":5" + NO_EOS).at("/choices/0/text").asText();
        String dog = complete("\"prompt\":" + dogIds + ",\"max_tokens\":5" + NO_EOS).at("/choices/0/text").asText();
        JsonNode choices = r.get("choices");
        assertThat(choices).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(choices.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(choices.get(i).get("text").asText()).isEqualTo(i < 2 ? once : dog);
        }
        assertThat(r.at("/usage/prompt_tokens").asInt()).as("each prompt counted once").isEqualTo(ids("Once upon a time").size() + dogIds.size());
        assertThat(r.at("/usage/completion_tokens").asInt()).isEqualTo(4 * 5);

        HttpResponse<String> streamed = post("/v1/completions", "{\"model\":\"stories\",\"temperature\":0,\"stream\":true,\"prompt\":[\"Once upon a time\","
                + dogIds + "],\"n\":2,\"max_tokens\":5" + NO_EOS + "}");
        Map<Integer, StringBuilder> texts = new HashMap<>();
        for (String event : streamed.body().split("\n\n")) {
            if (event.equals("data: [DONE]")) continue;
            JsonNode c = JSON.readTree(event.substring("data: ".length())).at("/choices/0");
            texts.computeIfAbsent(c.get("index").asInt(), k -> new StringBuilder()).append(c.get("text").asText());
        }
        assertThat(texts).hasSize(4);
        for (int i = 0; i < 4; i++) assertThat(texts.get(i).toString()).isEqualTo(choices.get(i).get("text").asText());
    }

    @Test
    void badPromptListsAreNamed() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":[\"a\",{}],\"max_tokens\":2}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("prompt[1]");
    }

    @Test
    void echoWithLogprobsCoversThePromptTokensFirstWithNull() throws Exception {
        JsonNode choice = complete("\"prompt\":\"Once upon a time\",\"max_tokens\":3,\"echo\":true,\"logprobs\":1").at("/choices/0");
        JsonNode lp = choice.get("logprobs");
        int promptTokens = ids("Once upon a time").size();
        assertThat(lp.get("tokens")).hasSize(promptTokens + 3);
        assertThat(lp.get("token_logprobs").get(0).isNull()).isTrue();
        assertThat(lp.get("top_logprobs").get(0).isNull()).isTrue();
        for (int i = 1; i < promptTokens + 3; i++) {
            assertThat(lp.get("token_logprobs").get(i).asDouble()).isLessThanOrEqualTo(0);
            assertThat(lp.get("top_logprobs").get(i).size()).isEqualTo(1);
        }
        StringBuilder joined = new StringBuilder();
        String text = choice.get("text").asText();
        for (int i = 0; i < lp.get("tokens").size(); i++) {
            String token = lp.get("tokens").get(i).asText();
            assertThat(text.substring(lp.get("text_offset").get(i).asInt())).startsWith(token);
            joined.append(token);
        }
        assertThat(joined.toString()).isEqualTo(text);
        assertThat(text).startsWith("Once upon a time");
    }

    /** What lm-eval sends to score a continuation: token ids, echo, logprobs, max_tokens 0. */
    @Test
    void maxTokensZeroWithEchoReturnsTheScoredPrompt() throws Exception {
        JsonNode ref = TestServer.references().get(2);
        List<Integer> all = new ArrayList<>();
        ref.get("prompt_ids").forEach(n -> all.add(n.asInt()));
        ref.get("generated_ids").forEach(n -> all.add(n.asInt()));
        JsonNode r = complete("\"prompt\":" + all + ",\"max_tokens\":0,\"echo\":true,\"logprobs\":1");
        JsonNode choice = r.at("/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(r.at("/usage/completion_tokens").asInt()).isZero();
        assertThat(r.at("/usage/prompt_tokens").asInt()).isEqualTo(all.size());
        assertThat(choice.get("text").asText()).isEqualTo(ref.get("text").asText().substring(0, choice.get("text").asText().length()));
        JsonNode lp = choice.get("logprobs");
        assertThat(lp.get("tokens")).hasSize(all.size());
        int p = ref.get("prompt_ids").size();
        for (int k = 0; k < ref.get("generated_ids").size(); k++) {
            // the greedy continuation: each of its tokens is the most likely one where it stands
            JsonNode top = lp.get("top_logprobs").get(p + k);
            String best = top.fieldNames().next();
            assertThat(best).isEqualTo(lp.get("tokens").get(p + k).asText());
            assertThat(top.get(best).asDouble()).isEqualTo(lp.get("token_logprobs").get(p + k).asDouble());
        }

        HttpResponse<String> noEcho = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"Once\",\"max_tokens\":0}");
        assertThat(noEcho.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(noEcho.body()).at("/error/message").asText()).contains("only with echo");
        HttpResponse<String> chat = post("/v1/chat/completions", "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}");
        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(chat.body()).at("/error/param").asText()).isEqualTo("max_tokens");
    }

    @Test
    void aStreamedEchoOpensWithTheScoredPrompt() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories\",\"temperature\":0,\"stream\":true,\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":0,\"echo\":true,\"logprobs\":0}");
        String[] events = r.body().split("\n\n");
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        JsonNode first = JSON.readTree(events[0].substring("data: ".length())).at("/choices/0");
        assertThat(first.get("text").asText()).isEqualTo("Once upon a time");
        assertThat(first.at("/logprobs/tokens")).hasSize(ids("Once upon a time").size());
        assertThat(first.at("/logprobs/token_logprobs/0").isNull()).isTrue();
        JsonNode last = JSON.readTree(events[events.length - 2].substring("data: ".length())).at("/choices/0");
        assertThat(last.get("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void completionsWithoutMaxTokensGenerate16AsOpenAiDoesWhileChatRunsOn() throws Exception {
        JsonNode r = complete("\"prompt\":\"Once upon a time\"" + NO_EOS);
        assertThat(r.at("/usage/completion_tokens").asInt()).isEqualTo(16);
        assertThat(r.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        HttpResponse<String> chat = post("/v1/chat/completions", "{\"model\":\"stories\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Once\"}]"
                + NO_EOS + "}");
        assertThat(JSON.readTree(chat.body()).at("/usage/completion_tokens").asInt()).isGreaterThan(16);
    }

    @Test
    void aPromptOverTheContextIsDescribedInOpenAisWords() throws Exception {
        String prompt = "a ".repeat(600).trim();
        int promptTokens = ids(prompt).size();
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"stories\",\"prompt\":\"" + prompt + "\",\"max_tokens\":5}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("context_length_exceeded");
        assertThat(error.get("message").asText()).startsWith("This model's maximum context length is 506 tokens. However, you requested "
                + (promptTokens + 5) + " tokens (" + promptTokens + " in the messages, 5 in the completion). Please reduce the length of the messages or completion.");
    }
}
