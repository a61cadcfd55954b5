package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.TestModels;
import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.tokenizer.GgufTokenizer;
import io.backstop.engine.grammar.automaton.AutomatonCompiler;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.grammar.mask.TokenMasks;
import io.backstop.engine.grammar.mask.VocabIndex;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Masks against brute force on the real large vocabularies: Llama 3 BPE (128,256 tokens) and Qwen2 (151,936). */
class RealVocabularyMaskTest {
    static Vocabulary vocabulary(String file) {
        try (GgufFile f = GgufFile.open(TestModels.shared().resolve("models/gguf-vocab").resolve(file))) {
            return GgufTokenizer.from(f.metadata()).vocabulary();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe.gguf", "qwen2.gguf"})
    void masksEqualBruteForce(String file) {
        Vocabulary v = vocabulary(file);
        int eos = -1;
        for (int t = v.size() - 1; t >= 0 && eos < 0; t--) if (v.isSpecial(t)) eos = t;
        int[] end = {eos};
        for (ConstraintSpec spec : new ConstraintSpec[] {ConstraintSpec.jsonSchema(Schemas.all().get("person")),
                ConstraintSpec.jsonSchema(Schemas.all().get("tree")), ConstraintSpec.jsonObject()}) {
            GrammarMatcher m = new TokenMasks(AutomatonCompiler.compile(spec.toGrammar()), VocabIndex.of(v)).newMatcher(end);
            assertThat(BruteForce.compareAlongRandomWalk(m, v, Set.of(eos), 10, new Random(file.hashCode()))).isPositive();
        }
    }
}
