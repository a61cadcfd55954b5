package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.RequestOptions;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The official OpenAI Java SDK against the real server and the real stories260K model: what a client
 * written for OpenAI sees, token for token against llama2.c's greedy references.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiSdkTest {
    private static final String MODEL = TestServer.MODEL;

    private TestServer server;
    private OpenAIClient client;

    @BeforeAll
    void start() {
        server = TestServer.start();
        client = client(server, "unused");
    }

    @AfterAll
    void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    /** Validating responses: every object the server sends must have the fields OpenAI's schema requires. */
    private static OpenAIClient client(TestServer s, String apiKey) {
        return OpenAIOkHttpClient.builder().baseUrl(s.baseUrl() + "/v1").apiKey(apiKey).maxRetries(0).responseValidation(true).build();
    }

    static Stream<Arguments> references() {
        return TestServer.references().stream().map(r -> Arguments.of(name(r), r));
    }

    private static String name(JsonNode ref) {
        return ref.get("prompt").asText().isEmpty() ? "(empty prompt, " + ref.get("steps").asInt() + " steps)"
                : ref.get("prompt").asText() + " (" + ref.get("steps").asInt() + " steps)";
    }

    private static String prompt(JsonNode ref) {
        return ref.get("prompt").asText();
    }

    private static boolean endsOnBos(JsonNode ref) {
        JsonNode gen = ref.get("generated_ids");
        return gen.get(gen.size() - 1).asInt() == 1;
    }

    private static ChatCompletionCreateParams.Builder greedyChat(JsonNode ref) {
        return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage(prompt(ref))
                .temperature(0.0).maxTokens((long) TestServer.maxTokens(ref));
    }

    private static CompletionCreateParams.Builder greedyCompletion(JsonNode ref) {
        return CompletionCreateParams.builder().model(MODEL).prompt(prompt(ref))
                .temperature(0.0).maxTokens((long) TestServer.maxTokens(ref));
    }

    private static JsonNode reference(String name) {
        return TestServer.references().stream().filter(r -> r.get("prompt").asText().equals(name)).findFirst().orElseThrow();
    }

    // 1. non-streaming chat

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void chatCompletionMatchesTheReferenceTokenForToken(String name, JsonNode ref) {
        ChatCompletion c = client.chat().completions().create(greedyChat(ref).build());

        assertThat(c.id()).startsWith("chatcmpl-");
        assertThat(c.model()).isEqualTo(MODEL);
        assertThat(c.choices()).hasSize(1);
        ChatCompletion.Choice choice = c.choices().get(0);
        assertThat(choice.index()).isZero();
        assertThat(choice.message().content()).contains(TestServer.continuation(ref));
        assertThat(choice.finishReason()).isEqualTo(endsOnBos(ref)
                ? ChatCompletion.Choice.FinishReason.STOP : ChatCompletion.Choice.FinishReason.LENGTH);
        var usage = c.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(ref.get("prompt_ids").size());
        assertThat(usage.completionTokens()).isEqualTo(ref.get("generated_ids").size());
        assertThat(usage.totalTokens()).isEqualTo(ref.get("prompt_ids").size() + ref.get("generated_ids").size());
    }

    // 2. streaming chat

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void streamedChatCompletionMatchesTheReference(String name, JsonNode ref) {
        ChatCompletionCreateParams params = greedyChat(ref)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            chunks = stream.stream().toList();
        }
        assertThat(chunks).isNotEmpty();
        String id = chunks.get(0).id();
        assertThat(id).startsWith("chatcmpl-");
        assertThat(chunks).allSatisfy(ch -> {
            assertThat(ch.id()).isEqualTo(id);
            assertThat(ch.model()).isEqualTo(MODEL);
        });

        List<ChatCompletionChunk> withChoices = chunks.stream().filter(ch -> !ch.choices().isEmpty()).toList();
        assertThat(withChoices.get(0).choices().get(0).delta().role())
                .contains(ChatCompletionChunk.Choice.Delta.Role.ASSISTANT);
        StringBuilder text = new StringBuilder();
        for (ChatCompletionChunk ch : withChoices) {
            assertThat(ch.choices()).hasSize(1);
            assertThat(ch.choices().get(0).index()).isZero();
            ch.choices().get(0).delta().content().ifPresent(text::append);
        }
        assertThat(text.toString()).isEqualTo(TestServer.continuation(ref));

        // only the last choice chunk finishes, with the same reason as the whole response
        for (int i = 0; i < withChoices.size() - 1; i++) {
            assertThat(withChoices.get(i).choices().get(0).finishReason()).as("finish_reason of chunk %d", i).isEmpty();
        }
        assertThat(withChoices.getLast().choices().get(0).finishReason()).contains(endsOnBos(ref)
                ? ChatCompletionChunk.Choice.FinishReason.STOP : ChatCompletionChunk.Choice.FinishReason.LENGTH);

        // the usage chunk is the very last, has no choices, and counts like the reference
        ChatCompletionChunk last = chunks.getLast();
        assertThat(last.choices()).isEmpty();
        var usage = last.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(ref.get("prompt_ids").size());
        assertThat(usage.completionTokens()).isEqualTo(ref.get("generated_ids").size());
        assertThat(usage.totalTokens()).isEqualTo(ref.get("prompt_ids").size() + ref.get("generated_ids").size());
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(ch -> assertThat(ch.usage()).isEmpty());
    }

    @Test
    void streamedChatWithoutIncludeUsageSendsNoUsageChunk() {
        JsonNode ref = reference("Lily and Tom went to the park");
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(greedyChat(ref).build())) {
            chunks = stream.stream().toList();
        }
        assertThat(chunks).allSatisfy(ch -> {
            assertThat(ch.choices()).hasSize(1);
            assertThat(ch.usage()).isEmpty();
        });
        StringBuilder text = new StringBuilder();
        chunks.forEach(ch -> ch.choices().get(0).delta().content().ifPresent(text::append));
        assertThat(text.toString()).isEqualTo(TestServer.continuation(ref));
    }

    // 3. legacy completions

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void legacyCompletionMatchesTheReference(String name, JsonNode ref) {
        Completion c = client.completions().create(greedyCompletion(ref).build());
        assertThat(c.id()).startsWith("cmpl-");
        assertThat(c.model()).isEqualTo(MODEL);
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().get(0).text()).isEqualTo(TestServer.continuation(ref));
        assertThat(c.choices().get(0).finishReason()).isEqualTo(endsOnBos(ref)
                ? CompletionChoice.FinishReason.STOP : CompletionChoice.FinishReason.LENGTH);
        var usage = c.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(ref.get("prompt_ids").size());
        assertThat(usage.completionTokens()).isEqualTo(ref.get("generated_ids").size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void streamedLegacyCompletionMatchesTheReference(String name, JsonNode ref) {
        CompletionCreateParams params = greedyCompletion(ref)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<Completion> chunks;
        // OpenAI itself streams "finish_reason": null until a choice's last chunk, which the SDK's schema
        // (finish_reason required) rejects when validating; so this one call reads without validation.
        RequestOptions lenient = RequestOptions.builder().responseValidation(false).build();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(params, lenient)) {
            chunks = stream.stream().toList();
        }
        List<Completion> withChoices = chunks.stream().filter(ch -> !ch.choices().isEmpty()).toList();
        StringBuilder text = new StringBuilder();
        withChoices.forEach(ch -> text.append(ch.choices().get(0).text()));
        assertThat(text.toString()).isEqualTo(TestServer.continuation(ref));
        for (int i = 0; i < withChoices.size() - 1; i++) {
            assertThat(withChoices.get(i).choices().get(0)._finishReason().isNull()).as("finish_reason of chunk %d is null", i).isTrue();
        }
        assertThat(withChoices.getLast().choices().get(0).finishReason()).isEqualTo(endsOnBos(ref)
                ? CompletionChoice.FinishReason.STOP : CompletionChoice.FinishReason.LENGTH);
        var usage = chunks.getLast().usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(ref.get("prompt_ids").size());
        assertThat(usage.completionTokens()).isEqualTo(ref.get("generated_ids").size());
    }

    // 4. models

    @Test
    void modelsAreListedAndRetrievable() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).contains(MODEL);

        Model m = client.models().retrieve(MODEL);
        assertThat(m.id()).isEqualTo(MODEL);
        assertThat(m.ownedBy()).isEqualTo("backstop");

        assertThatThrownBy(() -> client.models().retrieve("nope"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.code()).contains("model_not_found");
                    assertThat(e.getMessage()).contains("nope");
                });
    }

    // 5. errors as typed exceptions

    @Test
    void anUnknownModelIsNotFound() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("no-such-model").addUserMessage("Hi").maxTokens(3L).build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(404);
                    assertThat(e.param()).contains("model");
                    assertThat(e.getMessage()).contains("no-such-model");
                });
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder()
                .model("no-such-model").prompt("Hi").maxTokens(3L).build()))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void anOutOfRangeTemperatureIsABadRequestNamingIt() {
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(MODEL).addUserMessage("Hi").temperature(3.0).maxTokens(3L).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("temperature");
                    assertThat(e.param()).contains("temperature");
                    assertThat(e.type()).contains("invalid_request_error");
                });
    }

    @Test
    void apiKeysAreEnforced() {
        try (TestServer keyed = TestServer.start(c -> c.withApiKeys(List.of("secret")))) {
            OpenAIClient wrong = client(keyed, "not-the-secret");
            OpenAIClient right = client(keyed, "secret");
            try {
                assertThatThrownBy(() -> wrong.models().list())
                        .isInstanceOfSatisfying(UnauthorizedException.class, e -> assertThat(e.statusCode()).isEqualTo(401));
                assertThatThrownBy(() -> wrong.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model(MODEL).addUserMessage("Hi").maxTokens(3L).build()))
                        .isInstanceOf(UnauthorizedException.class);

                assertThat(right.models().list().data()).extracting(Model::id).contains(MODEL);
                JsonNode ref = reference("Lily and Tom went to the park");
                ChatCompletion c = right.chat().completions().create(greedyChat(ref).build());
                assertThat(c.choices().get(0).message().content()).contains(TestServer.continuation(ref));
            } finally {
                wrong.close();
                right.close();
            }
        }
    }

    // 6. seeded sampling

    @Test
    void theSameSeedGivesTheSameTextAtTemperatureOne() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(MODEL)
                .addUserMessage("Once upon a time").temperature(1.0).seed(1234L).maxTokens(40L).build();
        String first = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
        String second = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
        assertThat(first).isNotEmpty().isEqualTo(second);

        CompletionCreateParams legacy = CompletionCreateParams.builder().model(MODEL)
                .prompt("Once upon a time").temperature(1.0).seed(1234L).maxTokens(40L).build();
        String a = client.completions().create(legacy).choices().get(0).text();
        String b = client.completions().create(legacy).choices().get(0).text();
        assertThat(a).isNotEmpty().isEqualTo(b);
    }

    @Test
    void nChoicesWithASeedAreTwoReproducibleChoices() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(MODEL)
                .addUserMessage("Once upon a time").temperature(1.0).seed(7L).n(2L).maxTokens(40L).build();
        ChatCompletion c = client.chat().completions().create(params);
        assertThat(c.choices()).hasSize(2);
        assertThat(c.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L);
        List<String> texts = c.choices().stream().map(ch -> ch.message().content().orElseThrow()).toList();
        assertThat(texts).allSatisfy(t -> assertThat(t).isNotEmpty());
        assertThat(texts.get(0)).as("choices are sampled with different seeds").isNotEqualTo(texts.get(1));
        var usage = c.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(5); // BOS + "Once upon a time", as in the reference
        assertThat(usage.completionTokens()).isBetween(2L, 80L);

        ChatCompletion again = client.chat().completions().create(params);
        assertThat(again.choices().stream().map(ch -> ch.message().content().orElseThrow()).toList()).isEqualTo(texts);
    }

    // 7. logprobs

    @Test
    void greedyLogprobsPutTheChosenTokenFirst() {
        JsonNode ref = reference("The little dog was sad because");
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(MODEL)
                .addUserMessage(prompt(ref)).temperature(0.0).maxTokens(20L).logprobs(true).topLogprobs(2L).build());
        ChatCompletion.Choice choice = c.choices().get(0);
        List<ChatCompletionTokenLogprob> content = choice.logprobs().orElseThrow().content().orElseThrow();
        assertThat(content).hasSize(20);
        StringBuilder joined = new StringBuilder();
        for (ChatCompletionTokenLogprob t : content) {
            assertThat(t.topLogprobs()).hasSize(2);
            assertThat(t.logprob()).isLessThanOrEqualTo(0.0);
            assertThat(t.logprob()).as("greedy picks the most likely token, %s", t.token())
                    .isCloseTo(t.topLogprobs().get(0).logprob(), within(1e-6));
            assertThat(t.topLogprobs().get(0).logprob()).isGreaterThanOrEqualTo(t.topLogprobs().get(1).logprob());
            joined.append(t.token());
        }
        String text = choice.message().content().orElseThrow();
        assertThat(TestServer.continuation(ref)).startsWith(text);
        assertThat(joined.toString()).isEqualTo(text);
    }

    // 8. embeddings

    @Test
    void embeddingsAreUnitVectorsOfTheHiddenSize() {
        EmbeddingCreateParams params = EmbeddingCreateParams.builder().model(MODEL).input("The little dog was happy").build();
        CreateEmbeddingResponse first = client.embeddings().create(params);
        CreateEmbeddingResponse second = client.embeddings().create(params);
        assertThat(first.model()).isEqualTo(MODEL);
        assertThat(first.data()).hasSize(1);
        List<Float> v = first.data().get(0).embedding();
        assertThat(v).hasSize(64);
        double norm = Math.sqrt(v.stream().mapToDouble(x -> x * x).sum());
        assertThat(norm).isCloseTo(1.0, within(1e-3));
        assertThat(second.data().get(0).embedding()).isEqualTo(v);
        assertThat(first.usage().promptTokens()).isPositive();

        // the same vector whichever encoding the wire uses
        for (EmbeddingCreateParams.EncodingFormat format : List.of(EmbeddingCreateParams.EncodingFormat.FLOAT,
                EmbeddingCreateParams.EncodingFormat.BASE64)) {
            List<Float> w = client.embeddings().create(params.toBuilder().encodingFormat(format).build()).data().get(0).embedding();
            assertThat(w).as("encoding_format %s", format).isEqualTo(v);
        }

        // a batch keeps its order
        CreateEmbeddingResponse batch = client.embeddings().create(EmbeddingCreateParams.builder().model(MODEL)
                .inputOfArrayOfStrings(List.of("Once upon a time", "The little dog was happy")).build());
        assertThat(batch.data()).extracting(e -> e.index()).containsExactly(0L, 1L);
        assertThat(batch.data().get(1).embedding()).isEqualTo(v);
        assertThat(batch.data().get(0).embedding()).isNotEqualTo(v);
    }

    @Test
    void serviceErrorsCarryOpenAisErrorFields() {
        OpenAIServiceException e = (OpenAIServiceException) org.assertj.core.api.Assertions.catchThrowable(() ->
                client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model(MODEL).addUserMessage("Hi").temperature(3.0).maxTokens(3L).build()));
        assertThat(e).isNotNull();
        assertThat(e.headers().values("X-Request-Id")).hasSize(1);
        assertThat(e.body().toString()).contains("temperature");
        JsonNode body = e.body().convert(JsonNode.class);
        JsonNode error = body.has("error") ? body.get("error") : body;
        List<String> keys = new ArrayList<>();
        error.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactlyInAnyOrder("message", "type", "param", "code");
        assertThat(error.get("param").asText()).isEqualTo("temperature");
    }

    // beyond the basics: what SDK users also reach for

    @Test
    void streamedChoicesOfNAreIndexedAndMatchTheWholeResponse() {
        ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder().model(MODEL)
                .addUserMessage("Once upon a time").temperature(1.0).seed(99L).n(2L).maxTokens(30L);
        ChatCompletion whole = client.chat().completions().create(b.build());
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                b.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().toList();
        }
        for (int i = 0; i < 2; i++) {
            long index = i;
            List<ChatCompletionChunk.Choice> mine = chunks.stream().flatMap(ch -> ch.choices().stream())
                    .filter(c -> c.index() == index).toList();
            assertThat(mine.get(0).delta().role()).contains(ChatCompletionChunk.Choice.Delta.Role.ASSISTANT);
            assertThat(mine.stream().filter(c -> c.finishReason().isPresent())).hasSize(1);
            assertThat(mine.getLast().finishReason()).isPresent();
            StringBuilder text = new StringBuilder();
            mine.forEach(c -> c.delta().content().ifPresent(text::append));
            assertThat(text.toString()).as("choice %d", i).isEqualTo(whole.choices().get(i).message().content().orElseThrow());
        }
        assertThat(chunks.getLast().usage().orElseThrow().completionTokens()).isEqualTo(whole.usage().orElseThrow().completionTokens());
    }

    @Test
    void textContentPartsAreJoinedIntoThePrompt() {
        JsonNode ref = reference("Lily and Tom went to the park");
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model(MODEL)
                .addUserMessageOfArrayOfContentParts(List.of(
                        com.openai.models.chat.completions.ChatCompletionContentPart.ofText(
                                com.openai.models.chat.completions.ChatCompletionContentPartText.builder().text("Lily and Tom ").build()),
                        com.openai.models.chat.completions.ChatCompletionContentPart.ofText(
                                com.openai.models.chat.completions.ChatCompletionContentPartText.builder().text("went to the park").build())))
                .temperature(0.0).maxCompletionTokens((long) TestServer.maxTokens(ref)).build());
        assertThat(c.choices().get(0).message().content()).contains(TestServer.continuation(ref));
    }

    @Test
    void stopSequencesEndTheTextBeforeTheStopInBothModes() {
        JsonNode ref = reference("The little dog was sad because");
        String continuation = TestServer.continuation(ref);
        String expected = continuation.substring(0, continuation.indexOf('.'));
        ChatCompletionCreateParams params = greedyChat(ref).stop(".").build();
        ChatCompletion c = client.chat().completions().create(params);
        assertThat(c.choices().get(0).message().content()).contains(expected);
        assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);

        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().flatMap(ch -> ch.choices().stream()).forEach(ch -> ch.delta().content().ifPresent(text::append));
        }
        assertThat(text.toString()).isEqualTo(expected);
    }

    @Test
    void aPromptLongerThanTheContextIsABadRequestStreamingOrNot() {
        String longPrompt = "Once upon a time there was a dog. ".repeat(60);
        ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder().model(MODEL)
                .addUserMessage(longPrompt).maxTokens(5L);
        assertThatThrownBy(() -> client.chat().completions().create(b.build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.code()).contains("context_length_exceeded"));
        assertThatThrownBy(() -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(b.build())) {
                stream.stream().toList();
            }
        }).isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.code()).contains("context_length_exceeded"));
    }

    @Test
    void streamedLogprobsCoverEveryToken() {
        JsonNode ref = reference("The little dog was sad because");
        List<ChatCompletionTokenLogprob> all = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model(MODEL).addUserMessage(prompt(ref)).temperature(0.0).maxTokens(20L).logprobs(true).topLogprobs(2L).build())) {
            stream.stream().flatMap(ch -> ch.choices().stream()).forEach(ch -> {
                ch.delta().content().ifPresent(text::append);
                ch.logprobs().flatMap(l -> l.content()).ifPresent(all::addAll);
            });
        }
        assertThat(all).hasSize(20);
        assertThat(all).allSatisfy(t -> assertThat(t.topLogprobs()).hasSize(2));
        assertThat(all.stream().map(ChatCompletionTokenLogprob::token).reduce("", String::concat)).isEqualTo(text.toString());
        assertThat(TestServer.continuation(ref)).startsWith(text.toString());
    }

    /** OpenAI's own echo answer starts with a null entry, which the SDK's response validation rejects: read it unvalidated. */
    private static final RequestOptions UNVALIDATED = RequestOptions.builder().responseValidation(false).build();

    @Test
    void legacyLogprobsWithEchoCoverThePromptTokensThenTheGeneratedOnes() {
        JsonNode ref = reference("The little dog was sad because");
        Completion c = client.completions().create(CompletionCreateParams.builder().model(MODEL).prompt(prompt(ref))
                .temperature(0.0).maxTokens(20L).logprobs(2L).echo(true).build(), UNVALIDATED);
        CompletionChoice choice = c.choices().get(0);
        String generated = TestServer.continuation(ref).substring(0, choice.text().length() - prompt(ref).length());
        assertThat(choice.text()).isEqualTo(prompt(ref) + generated);
        int promptTokens = Math.toIntExact(c.usage().orElseThrow().promptTokens());
        var lp = choice.logprobs().orElseThrow();
        List<String> tokens = lp.tokens().orElseThrow();
        assertThat(tokens).hasSize(promptTokens + 20);
        assertThat(String.join("", tokens)).isEqualTo(choice.text());
        assertThat(String.join("", tokens.subList(promptTokens, tokens.size()))).isEqualTo(generated);
        List<Double> values = lp.tokenLogprobs().orElseThrow();
        assertThat(values).hasSize(promptTokens + 20);
        assertThat(values.get(0)).as("nothing precedes the first prompt token").isNull();
        assertThat(values.subList(1, values.size())).allSatisfy(x -> assertThat(x).isLessThanOrEqualTo(0.0));
    }

    // text_offset counts over the whole returned text: across streamed chunks, and after an echoed prompt

    @Test
    void streamedLegacyTextOffsetsCountFromTheStartOfTheText() {
        JsonNode ref = reference("The little dog was sad because");
        List<Long> offsets = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(greedyCompletion(ref).maxTokens(4L).logprobs(1L).build(),
                RequestOptions.builder().responseValidation(false).build())) {
            stream.stream().flatMap(ch -> ch.choices().stream()).forEach(ch -> {
                ch.logprobs().flatMap(CompletionChoice.Logprobs::textOffset).ifPresent(offsets::addAll);
                text.append(ch.text());
            });
        }
        Completion whole = client.completions().create(greedyCompletion(ref).maxTokens(4L).logprobs(1L).build());
        assertThat(text.toString()).isEqualTo(whole.choices().get(0).text());
        assertThat(offsets).isEqualTo(whole.choices().get(0).logprobs().orElseThrow().textOffset().orElseThrow());
    }

    @Test
    void echoedLegacyTextOffsetsPointIntoTheReturnedText() {
        JsonNode ref = reference("The little dog was sad because");
        CompletionChoice choice = client.completions().create(greedyCompletion(ref).maxTokens(4L).logprobs(1L).echo(true).build(), UNVALIDATED).choices().get(0);
        var lp = choice.logprobs().orElseThrow();
        List<String> tokens = lp.tokens().orElseThrow();
        List<Long> offsets = lp.textOffset().orElseThrow();
        assertThat(tokens.size()).isGreaterThan(4); // the prompt's tokens, then the 4 generated
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(choice.text().substring(Math.toIntExact(offsets.get(i)))).as("token %d %s", i, tokens.get(i)).startsWith(tokens.get(i));
        }
    }
}
