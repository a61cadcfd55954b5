package io.backstop.engine.backend.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.backstop.engine.ChatMessage;
import io.backstop.engine.Engine;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationHandle;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.TestModels;
import io.backstop.engine.TestModels.Reference;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** GGUF models through the engine API, as users and the server call it: the native backend behind the SPI. */
class GgufModelTest {
    static Model stories;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        stories = Engine.load(GgufFixtures.stories("stories260K-f32.gguf"), LoadOptions.defaults().withConcurrency(4, 4));
    }

    @AfterAll
    static void close() {
        stories.close();
    }

    static Stream<Reference> references() {
        return TestModels.references().stream();
    }

    /** llama2.c's stories end with BOS, which run.c stops on; the GGUF's own EOS is only 2. */
    static GenerationRequest reference(Reference ref) {
        return GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).stopTokenIds(java.util.Set.of(1)).build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void greedyGenerationReproducesTheLlama2cReference(Reference ref) {
        assertThat(stories.tokenize(ref.prompt(), true)).containsExactly(ref.promptIds());
        GenerationResult r = stories.generate(reference(ref));
        assertThat(r.tokenIds()).containsExactly(ref.generatedIds());
        assertThat(ref.prompt() + r.text()).isEqualTo(ref.text());
        assertThat(r.usage()).isEqualTo(new Usage(ref.promptIds().length, ref.generatedIds().length));
        boolean endedOnBos = ref.generatedIds()[ref.generatedIds().length - 1] == 1;
        assertThat(r.finishReason()).isEqualTo(endedOnBos ? FinishReason.STOP : FinishReason.LENGTH);
    }

    @Test
    void concurrentGenerationsEachGetTheirOwnAnswer() {
        List<Reference> refs = TestModels.references();
        List<GenerationHandle> handles = new ArrayList<>();
        for (Reference ref : refs) handles.add(stories.submit(reference(ref), null));
        for (int i = 0; i < refs.size(); i++) assertThat(handles.get(i).await().tokenIds()).as(refs.get(i).name()).containsExactly(refs.get(i).generatedIds());
    }

    @Test
    void infoDescribesTheFile() {
        try (Model q = Engine.load(GgufFixtures.stories("stories260K-q4_0.gguf"))) {
            var i = q.info();
            assertThat(i.name()).isEqualTo("stories260K-q4_0");
            assertThat(i.backend()).isEqualTo("native");
            assertThat(i.architecture()).isEqualTo("llama");
            assertThat(i.dtype()).isEqualTo("Q4_0");
            assertThat(i.contextLength()).isEqualTo(512);
            assertThat(i.vocabSize()).isEqualTo(512);
            assertThat(i.layers()).isEqualTo(5);
            assertThat(i.kvHeads()).isEqualTo(4);
            assertThat(i.intermediateSize()).isEqualTo(172);
            assertThat(i.parameterCount()).isEqualTo(260_032);
            // 30 Q4_0 matrices, the tied embeddings in Q8_0, ffn_down in F16, norms in F32
            assertThat(i.bytesByType()).containsOnlyKeys("Q4_0", "Q8_0", "F16", "F32");
            assertThat(i.bytesByType().get("Q8_0")).isEqualTo(512L * 2 * 34);
            assertThat(i.chatTemplates()).isEmpty();
        }
    }

    @Test
    void logprobsAndStopStringsWorkAsOnTheJlamaBackend() {
        GenerationRequest request = GenerationRequest.text("The little dog was sad because").greedy().maxTokens(100).stop("box").logprobs(3).build();
        GenerationResult ours = stories.generate(request);
        GenerationResult jlama = TestModels.stories().generate(request); // the same weights (safetensors)
        assertThat(ours.text()).isEqualTo(" he loved to play with his toys. One day, he saw a big ").isEqualTo(jlama.text());
        assertThat(ours.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(ours.logprobs()).hasSameSizeAs(jlama.logprobs());
        for (int t = 0; t < ours.logprobs().size(); t++) {
            TokenLogprob a = ours.logprobs().get(t), b = jlama.logprobs().get(t);
            assertThat(a.tokenId()).isEqualTo(b.tokenId());
            assertThat(a.logprob()).isCloseTo(b.logprob(), offset(1e-3));
            assertThat(a.top().stream().map(TokenLogprob.Alternative::tokenId).toList())
                    .isEqualTo(b.top().stream().map(TokenLogprob.Alternative::tokenId).toList());
        }
    }

    @Test
    void embeddingsAreUnitVectorsOfTheHiddenWidthThatDependOnTheText() {
        float[] a = stories.embed("Lily and Tom went to the park");
        float[] again = stories.embed("Lily and Tom went to the park");
        float[] other = stories.embed("The little dog was sad");
        assertThat(a).hasSize(64).containsExactly(again);
        double norm = 0, dot = 0;
        for (int i = 0; i < a.length; i++) {
            norm += a[i] * a[i];
            dot += a[i] * other[i];
        }
        assertThat(norm).isCloseTo(1, offset(1e-5));
        assertThat(dot).isLessThan(0.9999);
    }

    @Test
    void chatTemplatesComeFromTheGgufMetadata() {
        Path withTemplates = tmp.resolve("chat.gguf");
        GgufTestFiles.copy(GgufFixtures.stories("stories260K-f32.gguf"), withTemplates, w -> w
                .string("tokenizer.chat_template", "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}[assistant]")
                .string("tokenizer.chat_template.brief", "{% for m in messages %}{{ m['content'] }}{% endfor %}"));
        try (Model m = Engine.load(withTemplates)) {
            assertThat(m.info().chatTemplates()).containsExactly("default", "brief");
            List<ChatMessage> chat = List.of(ChatMessage.user("Hi"));
            assertThat(m.renderChat(chat, null)).isEqualTo("[user] Hi\n[assistant]");
            assertThat(m.renderChat(chat, "brief")).isEqualTo("Hi");
        }
    }

    @Test
    void theBackendIsChosenByWhatThePathHolds() throws Exception {
        Path one = Files.createDirectory(tmp.resolve("one"));
        Files.createSymbolicLink(one.resolve("model.gguf"), GgufFixtures.stories("stories260K-q8_0.gguf"));
        try (Model m = Engine.load(one)) {
            assertThat(m.info().backend()).isEqualTo("native");
            assertThat(m.name()).isEqualTo("one");
        }
        Files.createSymbolicLink(one.resolve("other.gguf"), GgufFixtures.stories("stories260K-q4_0.gguf"));
        assertThatThrownBy(() -> Engine.load(one)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("holds 2 GGUF files; name one: model.gguf, other.gguf");
        assertThatThrownBy(() -> Engine.load(GgufFixtures.stories("stories260K-f32.gguf"), LoadOptions.defaults().withBackend("jlama")))
                .hasMessageContaining("is a GGUF file; the Jlama backend reads Hugging Face safetensors folders");
        assertThatThrownBy(() -> Engine.load(TestModels.storiesDir(), LoadOptions.defaults().withBackend("native")))
                .hasMessageContaining("no .gguf file in");
        assertThat(TestModels.stories().info().backend()).isEqualTo("jlama");
    }

    @Test
    void q4_0DecodesFromOneCopyAtAnyConcurrencyWithTheSameGreedyText() {
        Path q4 = GgufFixtures.stories("stories260K-q4_0.gguf");
        try (Model one = Engine.load(q4, LoadOptions.defaults().withConcurrency(1, 0));
             Model batch = Engine.load(q4, LoadOptions.defaults().withConcurrency(4, 4))) {
            int scratch = io.backstop.engine.backend.gguf.tensor.WeightTensor.scratchFloats(512);
            assertThat(((GgufModel) one.backend()).transformer().weights().layers()[0].wq().decodePath(1, scratch)).contains("quads, 8-bit activations");
            assertThat(((GgufModel) batch.backend()).transformer().weights().layers()[0].wq().decodePath(1, scratch)).contains("quads, 8-bit activations");
            GenerationRequest r = GenerationRequest.builder(io.backstop.engine.Prompt.text("Once upon a time")).greedy().maxTokens(40).build();
            GenerationResult a = one.generate(r), b = batch.generate(r);
            assertThat(a.tokenIds()).isNotEmpty().containsExactly(b.tokenIds());
        }
    }
}
