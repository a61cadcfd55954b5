package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.grammar.automaton.AutomatonCompiler;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.grammar.mask.TokenMasks;
import io.backstop.engine.grammar.mask.VocabIndex;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** llama.cpp's GBNF: the constructs it has, errors that point at the line, masks equal to brute force. */
class GbnfGrammarTest {
    static final TestVocab VOCAB = TestVocab.random(2000, 6, 3);

    static final String ARITHMETIC = """
            root  ::= expr
            expr  ::= term (ws [-+] ws term)*
            term  ::= factor (ws [*/] ws factor)*
            factor ::= number | "(" ws expr ws ")"
            number ::= "-"? [0-9]+ ("." [0-9]{1,3})?
            ws ::= | " "
            """;

    static GrammarMatcher matcher(String gbnf) {
        return new TokenMasks(AutomatonCompiler.compile(ConstraintSpec.gbnf(gbnf).toGrammar()), VocabIndex.of(VOCAB)).newMatcher(new int[] {VOCAB.eos()});
    }

    static int check(String gbnf, String text) {
        return matcher(gbnf).check(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void recursiveGrammarsWithGroupsClassesAndRepetitions() {
        assertThat(check(ARITHMETIC, "1 + (2.5*-3) / 4")).isEqualTo(1);
        assertThat(check(ARITHMETIC, "((1))")).isEqualTo(1);
        assertThat(check(ARITHMETIC, "((1)")).isEqualTo(0);
        assertThat(check(ARITHMETIC, "1.2345")).isEqualTo(-1);
        assertThat(check(ARITHMETIC, "1 +")).isEqualTo(0);
        assertThat(check("root ::= [^a-c\\n]{2,4} \"\\u00e9\" .", "xyzé!")).isEqualTo(1);
        assertThat(check("root ::= [^a-c\\n]{2,4} \"\\u00e9\" .", "ab")).isEqualTo(-1);
        assertThat(check("root ::= (\"a\" | \"bc\"){,3} # comment\n", "abca")).isEqualTo(1);
        assertThat(check("root ::= (\"a\" | \"bc\"){,3} # comment\n", "abcaa")).isEqualTo(-1);
        assertThat(check("root ::= \"x\" item+\nitem ::=\n  \"-\" [0-9]\n", "x-1-2")).isEqualTo(1);
    }

    @Test
    void errorsSayWhereAndWhat() {
        assertThatThrownBy(() -> check("root ::= missing", "")).hasMessageContaining("rule 'missing' is not defined");
        assertThatThrownBy(() -> check("start ::= \"a\"", "")).hasMessageContaining("no 'root' rule");
        assertThatThrownBy(() -> check("root ::= \"a\"\nroot ::= \"b\"", "")).hasMessageContaining("defined twice");
        assertThatThrownBy(() -> check("root ::= \"a\n", "")).hasMessageContaining("line 1");
        assertThatThrownBy(() -> check("root ::= x\nx ::= x \"a\" | \"b\"", "")).hasMessageContaining("left-recursive");
        assertThatThrownBy(() -> check("root ::= [b-a]", "")).hasMessageContaining("out of order");
        assertThatThrownBy(() -> check("root ::= <think>", "")).hasMessageContaining("token references");
    }

    @Test
    void masksEqualBruteForce() {
        GrammarMatcher m = matcher(ARITHMETIC);
        assertThat(BruteForce.compareAlongRandomWalk(m, VOCAB, Set.of(VOCAB.eos()), 80, new Random(1))).isPositive();
    }
}
