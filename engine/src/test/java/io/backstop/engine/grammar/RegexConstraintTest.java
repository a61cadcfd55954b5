package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.grammar.automaton.Automaton;
import io.backstop.engine.grammar.automaton.AutomatonCompiler;
import io.backstop.engine.grammar.ir.Grammar;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.grammar.mask.TokenMasks;
import io.backstop.engine.grammar.mask.VocabIndex;
import io.backstop.engine.grammar.regex.CharEncoder;
import io.backstop.engine.grammar.regex.RegexParser;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RegexConstraintTest {
    static final TestVocab VOCAB = TestVocab.of("ab", "abc", "cx", "xx", "12", "123", "a1", "-1", "é", "\u00e9t\u00e9");

    static GrammarMatcher matcher(String regex) {
        Automaton a = AutomatonCompiler.compile(Grammar.of(RegexParser.whole(regex, CharEncoder.UTF8)));
        return new TokenMasks(a, VocabIndex.of(VOCAB)).newMatcher(new int[] {VOCAB.eos()});
    }

    static int check(String regex, String text) {
        return matcher(regex).check(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void matchesWholeStringsOnly() {
        assertThat(check("ab+c", "abbbc")).isEqualTo(1);
        assertThat(check("ab+c", "abb")).isEqualTo(0);
        assertThat(check("ab+c", "ac")).isEqualTo(-1);
        assertThat(check("^(cat|dog)s?$", "dogs")).isEqualTo(1);
        assertThat(check("[a-z]{2,3}", "abcd")).isEqualTo(-1);
        assertThat(check("[a-z]{2,3}", "ab")).isEqualTo(1);
        assertThat(check("\\d{3}-\\d{4}", "555-1234")).isEqualTo(1);
        assertThat(check("[^a-z]+", "ABC-é")).isEqualTo(1);
        assertThat(check("[^a-z]+", "ABc")).isEqualTo(-1);
        assertThat(check("x{0,200}y", "x".repeat(200) + "y")).isEqualTo(1);
        assertThat(check("x{0,200}y", "x".repeat(201))).isEqualTo(-1);
        assertThat(check("(ab){40,50}", "ab".repeat(39))).isEqualTo(0);
        assertThat(check("(ab){40,50}", "ab".repeat(45))).isEqualTo(1);
        assertThat(check("(ab){40,50}", "ab".repeat(51))).isEqualTo(-1);
        assertThat(check(".{1,100}", "héllo wörld")).isEqualTo(1);
    }

    @Test
    void refusesWhatCannotBeCompiled() {
        assertThatThrownBy(() -> check("(a)\\1", "aa")).hasMessageContaining("back-references");
        assertThatThrownBy(() -> check("a(?=b)", "ab")).hasMessageContaining("look-around");
        assertThatThrownBy(() -> check("\\bword", "word")).hasMessageContaining("word boundaries");
        assertThatThrownBy(() -> check("a)", "a")).hasMessageContaining("unbalanced");
    }

    @Test
    void masksEqualBruteForce() {
        for (String regex : new String[] {"ab+c", "[a-c]{1,40}x?", "-?(0|[1-9][0-9]*)(\\.[0-9]+)?", "(ab|a1|cx){3,60}", ".{0,50}é", "(é|ét)+"}) {
            GrammarMatcher m = matcher(regex);
            int n = BruteForce.compareAlongRandomWalk(m, VOCAB, Set.of(VOCAB.eos()), 80, new Random(regex.hashCode()));
            assertThat(n).as(regex).isPositive();
        }
    }
}
