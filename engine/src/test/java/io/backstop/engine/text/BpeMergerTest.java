package io.backstop.engine.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BpeMergerTest {
    /** Symbols are letters 'a'..; a merge rule over their ids by a table of (left, right) → (priority, merged). */
    private static BpeMerger.Rule rule(int[][] merges) {
        return (l, r, start, mid, end) -> {
            for (int[] m : merges) if (m[0] == l && m[1] == r) return BpeMerger.pack(m[2], m[3]);
            return BpeMerger.NONE;
        };
    }

    private static int[] merge(int[] ids, BpeMerger.Rule rule) {
        int[] lengths = new int[ids.length];
        Arrays.fill(lengths, 1);
        int n = BpeMerger.merge(ids, lengths, ids.length, rule);
        return Arrays.copyOf(ids, n);
    }

    @Test
    void mergesLowestPriorityFirstAndLeftmostAmongEquals() {
        BpeMerger.Rule r = rule(new int[][] {{0, 0, 5, 10}});
        assertThat(merge(new int[] {0, 0, 0}, r)).containsExactly(10, 0); // "aaa" → "aa" "a", not "a" "aa"
        BpeMerger.Rule ranked = rule(new int[][] {{0, 1, 2, 10}, {1, 2, 1, 11}, {0, 11, 3, 12}});
        assertThat(merge(new int[] {0, 1, 2}, ranked)).containsExactly(12); // b+c (1) before a+b (2), then a+bc
    }

    @Test
    void stalePairsAreSkippedAndNewNeighboursConsidered() {
        // a b a b: ab merges twice (priority 1), then ab+ab (priority 2)
        BpeMerger.Rule r = rule(new int[][] {{0, 1, 1, 10}, {10, 10, 2, 20}, {1, 0, 0, 30}});
        // b+a has the best priority: a [ba] b, then nothing else merges with 30
        assertThat(merge(new int[] {0, 1, 0, 1}, r)).containsExactly(0, 30, 1);
        assertThat(merge(new int[] {0, 1, 2, 0, 1}, r)).containsExactly(10, 2, 10);
    }

    @Test
    void rulesSeeTheSpansOfBothSymbols() {
        int[] seen = new int[3];
        int[] ids = {0, 1};
        int[] lengths = {2, 3};
        BpeMerger.merge(ids, lengths, 2, (l, r, start, mid, end) -> {
            seen[0] = start;
            seen[1] = mid;
            seen[2] = end;
            return BpeMerger.pack(0, 7);
        });
        assertThat(seen).containsExactly(0, 2, 5);
        assertThat(ids[0]).isEqualTo(7);
        assertThat(lengths[0]).isEqualTo(5);
    }

    @Test
    void higherScoresGetLowerPriorities() {
        assertThat(BpeMerger.priorityOfScore(-1f)).isLessThan(BpeMerger.priorityOfScore(-2f));
        assertThat(BpeMerger.priorityOfScore(3f)).isLessThan(BpeMerger.priorityOfScore(0f));
        assertThat(BpeMerger.priorityOfScore(0f)).isEqualTo(BpeMerger.priorityOfScore(-0f));
        assertThat(BpeMerger.priorityOfScore(-1000f)).isGreaterThan(BpeMerger.priorityOfScore(-999.5f));
    }
}
