package io.backstop.engine.backend.gguf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufWriter;
import io.backstop.engine.text.Detokenizer;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small hand-written vocabularies: defaults when keys are absent, and clear refusals of what is not supported. */
class SyntheticVocabTest {
    @TempDir
    Path tmp;

    private static final String[] SPM_TOKENS = {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab"};
    private static final float[] SPM_SCORES = {0, 0, 0, -1, -2, -3, -4, -5};
    private static final int[] SPM_TYPES = {2, 3, 3, 1, 1, 1, 1, 1};

    private GgufTokenizer read(UnaryOperator<GgufWriter> metadata) {
        Path p = tmp.resolve("v" + System.nanoTime() + ".gguf");
        metadata.apply(new GgufWriter()).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            return GgufTokenizer.from(f.metadata());
        }
    }

    private GgufWriter spm(GgufWriter w) {
        return w.string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", SPM_TOKENS)
                .float32s("tokenizer.ggml.scores", SPM_SCORES).int32s("tokenizer.ggml.token_type", SPM_TYPES);
    }

    private GgufWriter bpe(GgufWriter w, String pre) {
        w.string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", new String[] {"a", "b", "ab", "Ġ", "Ġab", "<|endoftext|>"})
                .strings("tokenizer.ggml.merges", new String[] {"a b", "Ġ ab"}).int32s("tokenizer.ggml.token_type", new int[] {1, 1, 1, 1, 1, 3});
        return pre == null ? w : w.string("tokenizer.ggml.pre", pre);
    }

    @Test
    void sentencePieceMergesTheHighestScoringPairFirstAndKnowsLlamaDefaults() {
        GgufTokenizer t = read(this::spm);
        // "▁ab": ▁a (-4) outscores ab (-5), then ▁a+b is no token: the result is ▁a, b
        assertThat(t.encode("ab", false)).containsExactly(6, 5);
        assertThat(t.bosId()).isEqualTo(1);
        assertThat(t.addBos()).isTrue();
        assertThat(t.endOfGenerationIds()).containsExactly(2);
        assertThat(Detokenizer.decode(t.vocabulary(), new int[] {1, 6, 5})).isEqualTo("ab");
    }

    @Test
    void aTokenThatSpansASpaceMergesAcrossWords() {
        String[] tokens = {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "a▁"};
        GgufTokenizer t = read(w -> spm(w).strings("tokenizer.ggml.tokens", tokens).float32s("tokenizer.ggml.scores", new float[] {0, 0, 0, -1, -2, -3, -4, -5, -0.5f})
                .int32s("tokenizer.ggml.token_type", new int[] {2, 3, 3, 1, 1, 1, 1, 1, 1}));
        assertThat(t.encode("a a", false)).containsExactly(3, 8, 4); // ▁, a▁, a: words are not merged apart when a token spans a space
        assertThat(read(this::spm).encode("a a", false)).containsExactly(6, 6);
    }

    @Test
    void withoutBytesTokensAnUnknownCharacterIsTheUnknownToken() {
        GgufTokenizer t = read(this::spm);
        assertThat(t.encode("aé", false)).containsExactly(6, 0, 0); // é is two UTF-8 bytes, each <unk>
    }

    @Test
    void spacePrefixCanBeTurnedOff() {
        GgufTokenizer t = read(w -> spm(w).bool("tokenizer.ggml.add_space_prefix", false));
        assertThat(t.encode("ab", false)).containsExactly(7);
        assertThat(t.vocabulary().stripsLeadingSpace()).isFalse();
    }

    @Test
    void byteLevelBpeWithoutAPreTokenizerUsesLlamaCppsDefaultOne() {
        GgufTokenizer t = read(w -> bpe(w, null));
        assertThat(t.encode(" ab", false)).containsExactly(4);
        assertThat(t.addBos()).isFalse();
        assertThat(t.bosId()).isEqualTo(-1);
        assertThat(t.endOfGenerationIds()).containsExactly(5); // <|endoftext|> by its text
        assertThat(t.encode("<|endoftext|>", true)).containsExactly(5);
    }

    @Test
    void anUnknownPreTokenizerIsRefusedNamingIt() {
        assertThatThrownBy(() -> read(w -> bpe(w, "mystery-bpe"))).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'mystery-bpe'").hasMessageContaining("tokenizer.ggml.pre").hasMessageContaining("llama-bpe");
    }

    @Test
    void anUnknownTokenizerModelIsRefusedNamingIt() {
        assertThatThrownBy(() -> read(w -> spm(w).string("tokenizer.ggml.model", "t5"))).isInstanceOf(ModelLoadException.class)
                .hasMessage("GGUF tokenizer 't5' (tokenizer.ggml.model) is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)");
    }

    @Test
    void inconsistentOrMissingArraysAreRefused() {
        assertThatThrownBy(() -> read(w -> spm(w).float32s("tokenizer.ggml.scores", new float[] {0, 1}))).isInstanceOf(ModelLoadException.class)
                .hasMessage("GGUF metadata 'tokenizer.ggml.scores' has 2 entries for 8 tokens");
        assertThatThrownBy(() -> read(w -> w.string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", new String[] {"a"})))
                .hasMessageContaining("'tokenizer.ggml.merges' is missing");
        assertThatThrownBy(() -> read(w -> w.string("tokenizer.ggml.model", "llama"))).hasMessageContaining("'tokenizer.ggml.tokens' is missing");
    }
}
