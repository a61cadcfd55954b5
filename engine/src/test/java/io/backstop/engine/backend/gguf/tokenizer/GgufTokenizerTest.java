package io.backstop.engine.backend.gguf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.text.Detokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How the GGUF tokenizers treat special tokens, BOS, end of generation and output bytes, on real vocabularies. */
class GgufTokenizerTest {
    private static final GgufTokenizer SPM = VocabFixtures.tokenizer("ggml-vocab-llama-spm.gguf");
    private static final GgufTokenizer PHI3 = VocabFixtures.tokenizer("ggml-vocab-phi-3.gguf");
    private static final GgufTokenizer GPT2 = VocabFixtures.tokenizer("ggml-vocab-gpt-2.gguf");
    private static final GgufTokenizer LLAMA3 = VocabFixtures.tokenizer("llama-bpe.gguf");
    private static final GgufTokenizer QWEN2 = VocabFixtures.tokenizer("qwen2.gguf");

    @Test
    void bosAndEndOfGenerationComeFromTheMetadataAndFromControlTokenTexts() {
        assertThat(SPM.bosId()).isEqualTo(1);
        assertThat(SPM.addBos()).isTrue();
        assertThat(SPM.endOfGenerationIds()).containsExactly(2);
        assertThat(SPM.specialTokenTexts()).isEqualTo(Map.of("bos_token", "<s>", "eos_token", "</s>"));

        assertThat(LLAMA3.bosId()).isEqualTo(128000);
        assertThat(LLAMA3.addBos()).isTrue();
        assertThat(LLAMA3.endOfGenerationIds()).containsExactly(128001, 128009); // <|end_of_text|>, <|eot_id|>

        assertThat(QWEN2.bosId()).isEqualTo(151643);
        assertThat(QWEN2.addBos()).isFalse();
        // <|endoftext|>, <|im_end|>, and the fill-in-the-middle <|fim_pad|> <|repo_name|> <|file_sep|> as llama.cpp
        assertThat(QWEN2.endOfGenerationIds()).containsExactly(151643, 151645, 151662, 151663, 151664);
        assertThat(QWEN2.specialTokenTexts()).containsEntry("eos_token", "<|im_end|>");

        assertThat(PHI3.endOfGenerationIds()).containsExactly(32000, 32007); // <|endoftext|>, <|end|>
        assertThat(GPT2.addBos()).as("gpt-2 adds no BOS unless the file says so").isFalse();
        assertThat(GPT2.endOfGenerationIds()).containsExactly(50256);
    }

    @Test
    void controlTokensAreParsedOnlyWhenAskedAndUserDefinedTokensAlways() {
        assertThat(QWEN2.encode("<|im_start|>user", true)).startsWith(151644);
        int[] plain = QWEN2.encode("<|im_start|>user", false);
        assertThat(plain).doesNotContain(151644);
        assertThat(Detokenizer.decode(QWEN2.vocabulary(), plain)).isEqualTo("<|im_start|>user");

        assertThat(QWEN2.encode("<think>", false)).containsExactly(151667);
        assertThat(QWEN2.encode("<think>", true)).containsExactly(151667);
        assertThat(LLAMA3.encode("a<|eot_id|>", true)).containsExactly(64, 128009);
    }

    @Test
    void controlTokensStandForNoTextAndUserDefinedTokensForTheirText() {
        Vocabulary v = QWEN2.vocabulary();
        assertThat(v.isSpecial(151645)).isTrue();
        assertThat(v.bytes(151645)).isEmpty();
        assertThat(v.piece(151645)).isEqualTo("<|im_end|>");
        assertThat(v.isSpecial(151667)).isFalse();
        assertThat(v.bytes(151667)).isEqualTo("<think>".getBytes(StandardCharsets.UTF_8));
        assertThat(v.isSpecial(151700)).as("[PAD] fillers are unused").isTrue();
        assertThat(Detokenizer.decode(v, QWEN2.encode("<|im_start|>assistant\nHi<|im_end|>", true))).isEqualTo("assistant\nHi");
    }

    @Test
    void byteLevelPiecesMapBackToTheirBytes() {
        Vocabulary v = GPT2.vocabulary();
        int the = GPT2.encode(" the", false)[0];
        assertThat(v.piece(the)).isEqualTo("\u0120the");
        assertThat(v.bytes(the)).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        assertThat(v.stripsLeadingSpace()).isFalse();
        int[] emoji = GPT2.encode("🦙", false); // four bytes, split over tokens that are not valid UTF-8 alone
        assertThat(emoji.length).isGreaterThan(1);
        assertThat(Detokenizer.decode(v, emoji)).isEqualTo("🦙");
        assertThat(v.isSpecial(50256)).isTrue();
    }

    @Test
    void sentencePieceWritesSpacesAsPiecesAndUnknownCharactersAsByteTokens() {
        Vocabulary v = SPM.vocabulary();
        assertThat(SPM.encode("Hello", false)).containsExactly(15043); // "▁Hello": the space prefix
        assertThat(v.bytes(15043)).isEqualTo(" Hello".getBytes(StandardCharsets.UTF_8));
        assertThat(v.stripsLeadingSpace()).isTrue();
        int[] llama = SPM.encode("🦙", false);
        assertThat(llama).containsExactly(29871, 243, 162, 169, 156); // "▁", then <0xF0> <0x9F> <0xA6> <0x99>
        assertThat(v.bytes(243)).containsExactly((byte) 0xF0);
        assertThat(v.piece(243)).isEqualTo("<0xF0>");
        assertThat(v.maxTokenBytes()).isGreaterThan(1);
    }

    @Test
    void sentencePiecePrefixesASpaceAfterEverySpecialToken() {
        int[] ids = SPM.encode("<s>Hello", true);
        assertThat(ids).containsExactly(1, 15043);
        assertThat(SPM.encode("<s>Hello", false)).doesNotContain(1);
    }

    @Test
    void phi3StripsWhitespaceAfterItsSpecialTokensAsLlamaCppDoes() {
        assertThat(PHI3.encode("<|user|>\n Hi", true)).containsExactly(PHI3.encode("<|user|>Hi", true));
        assertThat(PHI3.encode("<|user|>Hi", true)[0]).isEqualTo(32010);
        assertThat(PHI3.encode("</s>x", false)[0]).as("</s> is user-defined in Phi-3: matched in plain text").isEqualTo(2);
    }

    @Test
    void longTextsEncodeInOnePassWithoutQuadraticWork() {
        String word = "ab".repeat(50_000); // one word of 100K characters: every merge step sees the whole word
        for (GgufTokenizer t : new GgufTokenizer[] {SPM, QWEN2}) {
            int[] ids = t.encode(word, false);
            assertThat(Detokenizer.decode(t.vocabulary(), ids)).isEqualTo(word);
        }
        String text = IntStream.range(0, 5_000).mapToObj(i -> "word" + i + " <|im_end|>").collect(Collectors.joining());
        assertThat(IntStream.of(QWEN2.encode(text, true)).filter(id -> id == 151645).count()).isEqualTo(5_000);
    }
}
