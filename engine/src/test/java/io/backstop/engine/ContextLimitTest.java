package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** stories260K: context 512, 4 KV heads, so Jlama computes positions 0..505 correctly. */
class ContextLimitTest {

    private static String promptOfTokens(int n) {
        // "▁a" is one token; BOS makes n
        return "a ".repeat(n - 1).trim();
    }

    @Test
    void usablePositionsStopBeforeJlamasRopeDefect() {
        ModelInfo info = TestModels.stories().info();
        assertThat(info.contextLength()).isEqualTo(512);
        assertThat(info.usablePositions()).isEqualTo(512 - 2 * (4 - 1));
    }

    @Test
    void aPromptThatDoesNotFitGetsAClearErrorNamingBothNumbers() {
        String prompt = promptOfTokens(600);
        assertThat(TestModels.stories().tokenize(prompt, true)).hasSize(600);
        assertThatThrownBy(() -> TestModels.stories().generate(GenerationRequest.text(prompt).maxTokens(5).build()))
                .isInstanceOf(ContextOverflowException.class)
                .hasMessageContaining("600")
                .hasMessageContaining("506")
                .hasMessageContaining("512")
                .satisfies(e -> {
                    ContextOverflowException o = (ContextOverflowException) e;
                    assertThat(o.promptTokens()).isEqualTo(600);
                    assertThat(o.completionTokens()).as("the max_tokens asked for").isEqualTo(5);
                    assertThat(o.limit()).isEqualTo(506);
                    assertThat(o.atLeast()).isFalse();
                });
    }

    @Test
    void aHugePromptIsRefusedWithoutTokenizingItAll() {
        String prompt = "Once upon a time ".repeat(20_000); // 340 KB: tokenizing it would take minutes
        long start = System.nanoTime();
        assertThatThrownBy(() -> TestModels.stories().generate(GenerationRequest.text(prompt).maxTokens(5).build()))
                .isInstanceOf(ContextOverflowException.class)
                .hasMessageContaining("at least")
                .hasMessageContaining("506");
        assertThat((System.nanoTime() - start) / 1e9).as("seconds").isLessThan(5);
    }

    @Test
    void generationEndsWithLengthAtTheLastUsablePosition() {
        String prompt = promptOfTokens(500);
        GenerationResult r = TestModels.stories().generate(GenerationRequest.text(prompt).greedy()
                .logitBias(1, -100).logitBias(2, -100).build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        // positions 0..505: the prompt takes 500, generation may add 7 tokens (the last one is never fed back)
        assertThat(r.usage().completionTokens()).isEqualTo(506 - 500 + 1);
    }

    @Test
    void aPromptFillingEveryUsablePositionStillGetsOneToken() {
        GenerationResult r = TestModels.stories().generate(GenerationRequest.text(promptOfTokens(506)).greedy()
                .logitBias(1, -100).logitBias(2, -100).maxTokens(10).build());
        assertThat(r.usage().completionTokens()).isEqualTo(1);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    }
}
