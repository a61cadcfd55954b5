package io.backstop.engine.backend.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import io.backstop.engine.TestModels;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Our O(n log n) BPE gives exactly Jlama's token ids (its encoder is the reference), on any text. */
class FastBpeTest {
    private static final String[] PIECES = {"a", "b", "the", " ", "  ", "\n", "\t", "Once", " upon", " a time", "Lily", ",", ".", "!", "?", "\"",
        "é", "ü", "ß", "漢", "字", "😀", "🎉", "–", "…", "<s>", "</s>", "<unk>", "Q", "@", "#", "0", "9", "xyz", "ing", " dog", " cat", "ed"};

    private static Tokenizer jlama() {
        return ((JlamaModel) TestModels.stories().backend()).jlama().getTokenizer();
    }

    private static int[] jlamaIds(String text) {
        return Arrays.stream(jlama().encode(text)).mapToInt(Math::toIntExact).toArray();
    }

    @Test
    void appliesToSentencepieceStyleTokenizers() {
        assertThat(FastBpe.forModel(jlama().getModel())).isNotNull();
    }

    @Test
    void equalsJlamaOnTheReferencePromptsAndOnRandomText() {
        FastBpe fast = FastBpe.forModel(jlama().getModel());
        for (TestModels.Reference r : TestModels.references()) {
            assertThat(fast.encode(r.prompt())).as(r.prompt()).containsExactly(jlamaIds(r.prompt()));
            assertThat(fast.encode(r.text())).containsExactly(jlamaIds(r.text()));
        }
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 400; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + random.nextInt(40);
            for (int j = 0; j < len; j++) sb.append(PIECES[random.nextInt(PIECES.length)]);
            String text = sb.toString();
            assertThat(fast.encode(text)).as("'%s'", text).containsExactly(jlamaIds(text));
        }
    }

    @Test
    void aLongPromptIsTokenizedTheSameWay() {
        String text = TestModels.references().get(4).text().repeat(3); // ~4K characters: seconds in Jlama's encoder
        assertThat(FastBpe.forModel(jlama().getModel()).encode(text)).containsExactly(jlamaIds(text));
    }
}
