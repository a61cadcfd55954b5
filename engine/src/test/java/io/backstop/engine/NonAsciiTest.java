package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.text.Detokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * stories260K has almost no non-ASCII pieces, so accents, CJK and emoji travel as byte-fallback
 * tokens (&lt;0xE2&gt; …): exactly what Jlama's own decoder mangles.
 */
class NonAsciiTest {

    @ParameterizedTest
    @ValueSource(strings = {"Café crème brûlée", "漢字とかな", "Emoji 😀🎉 and ✓", "naïve – “quoted” …", "a\u00A0b\tc\nd"})
    void tokenizeThenDetokenizeIsLossless(String text) {
        Model m = TestModels.stories();
        assertThat(m.detokenize(m.tokenize(text, true))).isEqualTo(text);
        assertThat(m.detokenize(m.tokenize(text, false))).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Café crème brûlée", "漢字とかな", "Emoji 😀🎉 and ✓"})
    void streamedDeltasNeverSplitACharacterAndConcatenateToTheText(String text) {
        Model m = TestModels.stories();
        int[] ids = m.tokenize(text, true);
        Detokenizer d = new Detokenizer(m.backend().vocabulary(), true);
        StringBuilder joined = new StringBuilder();
        for (int id : ids) {
            String delta = d.next(id);
            assertThat(delta).doesNotContain("\uFFFD");
            if (!delta.isEmpty()) {
                assertThat(Character.isLowSurrogate(delta.charAt(0))).isFalse();
                assertThat(Character.isHighSurrogate(delta.charAt(delta.length() - 1))).isFalse();
            }
            joined.append(delta);
        }
        assertThat(joined.append(d.flush()).toString()).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Le café", "漢字"})
    void nonAsciiPromptsGenerateWithStreamedTextEqualToTheResult(String prompt) {
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = TestModels.stories().generate(GenerationRequest.text(prompt).temperature(1.0).seed(3L).maxTokens(30).build(), streamed::append);
        assertThat(streamed.toString()).isEqualTo(r.text());
        int[] promptIds = TestModels.stories().tokenize(prompt, true);
        int[] all = java.util.stream.IntStream.concat(java.util.Arrays.stream(promptIds), java.util.Arrays.stream(r.tokenIds())).toArray();
        assertThat(TestModels.stories().detokenize(all)).isEqualTo(prompt + r.text());
    }
}
