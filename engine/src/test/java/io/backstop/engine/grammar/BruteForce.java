package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Masks checked the slow way: every token's bytes tried one by one against the automaton. */
public final class BruteForce {
    private BruteForce() {}

    /** The allowed tokens computed token by token. */
    public static long[] mask(GrammarMatcher m, Vocabulary v, Set<Integer> endTokens) {
        long[] mask = new long[(v.size() + 63) >>> 6];
        for (int t = 0; t < v.size(); t++) {
            boolean ok;
            if (endTokens.contains(t)) ok = m.isComplete();
            else if (v.isSpecial(t) || v.bytes(t).length == 0) ok = false;
            else ok = m.check(v.bytes(t)) >= 0;
            if (ok) mask[t >>> 6] |= 1L << t;
        }
        return mask;
    }

    /**
     * Walks {@code steps} random allowed tokens (sampled from the fast mask), comparing the fast mask with
     * brute force at every state; returns how many states were compared.
     */
    public static int compareAlongRandomWalk(GrammarMatcher m, Vocabulary v, Set<Integer> endTokens, int steps, Random r) {
        long[] fast = new long[(v.size() + 63) >>> 6];
        int compared = 0;
        for (int step = 0; step < steps && !m.isDone(); step++) {
            int n = m.fillMask(fast);
            long[] slow = mask(m, v, endTokens);
            assertThat(describe(fast, v)).as("mask at step %d", step).isEqualTo(describe(slow, v));
            compared++;
            assertThat(n).isPositive();
            List<Integer> allowed = new ArrayList<>();
            for (int t = 0; t < v.size(); t++) if ((fast[t >>> 6] & (1L << t)) != 0 && !endTokens.contains(t)) allowed.add(t);
            if (allowed.isEmpty()) break;
            m.accept(allowed.get(r.nextInt(allowed.size())));
        }
        return compared;
    }

    private static List<String> describe(long[] mask, Vocabulary v) {
        List<String> out = new ArrayList<>();
        for (int t = 0; t < v.size(); t++) if ((mask[t >>> 6] & (1L << t)) != 0) out.add(t + ":" + v.piece(t));
        return out;
    }
}
