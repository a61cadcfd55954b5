package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real server with a GGUF model on the native engine beside the same model as safetensors on
 * Jlama, through the official OpenAI SDK: llama2.c's references token for token, streaming,
 * embeddings and /tokenize, nothing above the backend SPI changed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GgufServerTest {
    private static final String GGUF = "stories-gguf";
    private TestServer server;
    private OpenAIClient client;

    @BeforeAll
    void start() {
        ModelConfig gguf = new ModelConfig(GGUF, TestServer.shared().resolve("models/stories260K/gguf/stories260K-f32.gguf"), null, "raw",
                2, 8, true, RequestDefaults.none(), null);
        server = TestServer.start(c -> c.withModels(List.of(gguf, c.models().get(0))));
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused").maxRetries(0).responseValidation(true).build();
    }

    @AfterAll
    void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    Stream<JsonNode> references() {
        return TestServer.references().stream();
    }

    /**
     * llama2.c stops on BOS; the GGUF file declares only EOS (2), so the request asks for the tokens
     * before that final BOS.
     */
    private static long tokensBeforeBos(JsonNode ref) {
        JsonNode gen = ref.get("generated_ids");
        return gen.size() - (gen.get(gen.size() - 1).asInt() == 1 ? 1 : 0);
    }

    private static CompletionCreateParams greedy(String model, JsonNode ref) {
        return CompletionCreateParams.builder().model(model).prompt(ref.get("prompt").asText()).temperature(0.0).maxTokens(tokensBeforeBos(ref)).build();
    }

    @ParameterizedTest
    @MethodSource("references")
    void completionsReproduceTheReferenceAsJlamaDoes(JsonNode ref) {
        Completion ours = client.completions().create(greedy(GGUF, ref));
        Completion jlama = client.completions().create(greedy(TestServer.MODEL, ref));
        assertThat(ours.choices().get(0).text()).isEqualTo(TestServer.continuation(ref)).isEqualTo(jlama.choices().get(0).text());
        assertThat(ours.usage().orElseThrow().completionTokens()).isEqualTo(tokensBeforeBos(ref));
        assertThat(ours.usage().orElseThrow().promptTokens()).isEqualTo(ref.get("prompt_ids").size());
    }

    @Test
    void streamedCompletionsAddUpToTheReference() {
        JsonNode ref = TestServer.references().get(2);
        StringBuilder text = new StringBuilder();
        // OpenAI's stream chunks carry "finish_reason": null until the last, which the SDK's validation rejects
        var lenient = com.openai.core.RequestOptions.builder().responseValidation(false).build();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(greedy(GGUF, ref), lenient)) {
            stream.stream().forEach(c -> c.choices().forEach(ch -> text.append(ch.text())));
        }
        assertThat(text.toString()).isEqualTo(TestServer.continuation(ref));
    }

    @Test
    void embeddingsAreUnitVectorsOfTheHiddenSize() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model(GGUF).input("The little dog was happy").build());
        List<Float> v = r.data().get(0).embedding();
        assertThat(v).hasSize(64);
        assertThat(Math.sqrt(v.stream().mapToDouble(x -> x * x).sum())).isCloseTo(1.0, within(1e-4));
    }

    @Test
    void tokenizeGivesLlamaCppsIdsAndTheModelIsListed() throws Exception {
        HttpApiTest.Reply t = HttpApiTest.post(server, "/tokenize", "{\"model\":\"" + GGUF + "\",\"prompt\":\"The little dog was sad because\"}");
        assertThat(t.json().get("tokens").toString()).isEqualTo("[1,291,376,400,428,286,296,418,329,429,412,425,372]");
        assertThat(t.json().get("max_model_len").asInt()).isEqualTo(512);
        assertThat(client.models().list().data()).extracting(m -> m.id()).contains(GGUF, TestServer.MODEL);
    }
}
