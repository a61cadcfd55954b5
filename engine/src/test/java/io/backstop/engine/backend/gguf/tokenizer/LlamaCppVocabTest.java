package io.backstop.engine.backend.gguf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.text.Detokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every test string of llama.cpp's vocabulary fixtures tokenizes to exactly llama.cpp's ids
 * (add_special = false, parse_special = false; the {@code .special} files with parse_special = true)
 * and decodes back to the string.
 */
class LlamaCppVocabTest {
    private static final Map<String, String> RESULTS = new ConcurrentHashMap<>();

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf", "ggml-vocab-gpt-2.gguf", "llama-bpe.gguf", "qwen2.gguf"})
    void plainTextGivesLlamaCppIdsAndDecodesBack(String file) {
        check(file, "", false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe.gguf", "qwen2.gguf"})
    void chatTemplateTextWithParsedSpecialTokensGivesLlamaCppIds(String file) {
        check(file, ".special", true);
    }

    private static void check(String file, String suffix, boolean parseSpecial) {
        GgufTokenizer tokenizer = VocabFixtures.tokenizer(file);
        List<VocabFixtures.Case> cases = VocabFixtures.cases(file, suffix);
        List<String> wrongIds = new ArrayList<>();
        List<String> wrongText = new ArrayList<>();
        for (VocabFixtures.Case c : cases) {
            int[] ids = tokenizer.encode(c.text(), parseSpecial);
            int[] again = tokenizer.encode(c.text(), parseSpecial); // words now come from the cache
            if (!Arrays.equals(ids, c.ids()) || !Arrays.equals(again, ids)) wrongIds.add("'" + c.text() + "': expected " + Arrays.toString(c.ids()) + " got " + Arrays.toString(ids));
            String decoded = Detokenizer.decode(tokenizer.vocabulary(), ids);
            if (!parseSpecial && !decoded.equals(c.text())) wrongText.add("'" + c.text() + "' decoded to '" + decoded + "'");
        }
        RESULTS.put(file + suffix, (cases.size() - wrongIds.size()) + "/" + cases.size());
        assertThat(wrongIds).as(file + suffix + ": strings whose ids differ from llama.cpp's").isEmpty();
        assertThat(wrongText).as(file + suffix + ": strings that do not decode back").isEmpty();
    }

    @AfterAll
    static void report() {
        RESULTS.forEach((file, score) -> System.out.println("[gguf-vocab] " + file + ": " + score + " strings match llama.cpp"));
    }
}
