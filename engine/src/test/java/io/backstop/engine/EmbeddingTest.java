package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Embeddings of text and of token ids, and the limits of one request. */
class EmbeddingTest {

    @Test
    void tokenIdsEmbedExactlyAsTheTextTheyEncode() {
        Model m = TestModels.stories();
        int[] ids = m.tokenize("Once upon a time", true);
        Embeddings e = m.embed(List.of(Prompt.text("Once upon a time"), Prompt.tokens(ids)), 1000);
        assertThat(e.vectors().get(1)).containsExactly(e.vectors().get(0));
        assertThat(e.promptTokens()).isEqualTo(2 * ids.length);
        double norm = 0;
        for (float v : e.vectors().get(0)) norm += v * v;
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void theTotalTokensOfOneRequestAreBounded() {
        Model m = TestModels.stories();
        List<Prompt> inputs = List.of(Prompt.text("Once upon a time"), Prompt.text("Once upon a time"), Prompt.text("Once upon a time"));
        assertThatThrownBy(() -> m.embed(inputs, 10))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("the inputs take 15 tokens together")
                .hasMessageContaining("at most 10")
                .satisfies(x -> assertThat(((InvalidRequestException) x).field()).isEqualTo("input"));
    }

    @Test
    void badInputsAreNamed() {
        Model m = TestModels.stories();
        assertThatThrownBy(() -> m.embed(List.of(Prompt.text("a"), Prompt.tokens(new int[] {1, 99999})), 1000))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("99999");
        assertThatThrownBy(() -> m.embed(List.of(Prompt.tokens(new int[0])), 1000))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> m.embed(List.of(Prompt.text("a"), Prompt.text("a ".repeat(600))), 100_000))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("input[1] is").hasMessageContaining("506");
    }
}
