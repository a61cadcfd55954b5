package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.TestModels.Reference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Greedy generation reproduces llama2.c's reference outputs token for token. */
class ReferenceGenerationTest {

    static Stream<Reference> references() {
        return TestModels.references().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void tokenizerEncodesThePromptAsTheReferenceDoes(Reference ref) {
        assertThat(TestModels.stories().tokenize(ref.prompt(), true)).containsExactly(ref.promptIds());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void greedyGenerationReproducesTheReference(Reference ref) {
        GenerationResult r = TestModels.stories().generate(
                GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).build());

        assertThat(r.tokenIds()).containsExactly(ref.generatedIds());
        assertThat(ref.prompt() + r.text()).isEqualTo(ref.text());
        assertThat(r.usage()).isEqualTo(new Usage(ref.promptIds().length, ref.generatedIds().length));
        boolean endedOnBos = ref.generatedIds()[ref.generatedIds().length - 1] == 1;
        assertThat(r.finishReason()).isEqualTo(endedOnBos ? FinishReason.STOP : FinishReason.LENGTH);
    }
}
