package io.backstop.engine.grammar.automaton;

import java.util.Arrays;

/**
 * A compiled grammar: a pushdown automaton over bytes. Every rule is a DFA whose edges consume a byte
 * or call another rule; a frame on the stack is (state, count), count being used only by counted
 * repetitions ("chains": one state whose count says how many steps were taken). Called rules never
 * match the empty string (their optional use is an epsilon bypass in the caller), so a call always
 * consumes a byte before it returns, and no rule is left-recursive.
 *
 * <p>Immutable and shared by every request that uses the grammar. States that cannot reach the end of
 * their rule were removed, so every live configuration can still be completed to a document.
 */
public final class Automaton {
    static final int INF = Integer.MAX_VALUE / 4;

    final String[] ruleNames;
    final int classes;
    final int[] byteClass;     // byte → class
    final int[] next;          // state * classes + class → state, or -1
    final boolean[] accepting; // table states: the rule may end here
    final int[] callOffset;    // CSR: calls of state s are [callOffset[s], callOffset[s+1])
    final int[] callCallee;
    final int[] callReturn;
    final int[] ruleOfState;
    final int[] ruleEntry;     // rule → state a call starts in (never accepting)
    final int rootState;
    // chains (counted repetitions): per state, -1 or the chain's index
    final int[] chainOf;
    final int[] chainMin, chainMax, chainStepRule, chainStepMin;
    // analysis
    final int[] minDist;       // table states: fewest bytes to the end of the rule
    final int[] ruleMinLen;
    final long[] follow;       // rule * 4: bytes that may follow the rule's end somewhere
    final boolean[] hasBytes;

    Automaton(String[] ruleNames, int classes, int[] byteClass, int[] next, boolean[] accepting, int[] callOffset,
              int[] callCallee, int[] callReturn, int[] ruleOfState, int[] ruleEntry, int rootState,
              int[] chainOf, int[] chainMin, int[] chainMax, int[] chainStepRule) {
        this.ruleNames = ruleNames;
        this.classes = classes;
        this.byteClass = byteClass;
        this.next = next;
        this.accepting = accepting;
        this.callOffset = callOffset;
        this.callCallee = callCallee;
        this.callReturn = callReturn;
        this.ruleOfState = ruleOfState;
        this.ruleEntry = ruleEntry;
        this.rootState = rootState;
        this.chainOf = chainOf;
        this.chainMin = chainMin;
        this.chainMax = chainMax;
        this.chainStepRule = chainStepRule;
        this.chainStepMin = new int[chainMin.length];
        int states = ruleOfState.length;
        this.minDist = new int[states];
        this.ruleMinLen = new int[ruleNames.length];
        this.follow = new long[ruleNames.length * 4];
        this.hasBytes = new boolean[states];
        analyse();
    }

    public int states() {
        return ruleOfState.length;
    }

    public int rootState() {
        return rootState;
    }

    public String ruleName(int rule) {
        return ruleNames[rule];
    }

    // ---- transitions (used by the matcher) ----

    /** Target state of a table state on a byte, or -1; for a chain state its own id when the byte is a step. */
    public int next(int state, int b) {
        return next[state * classes + byteClass[b & 0xFF]];
    }

    public boolean isChain(int state) {
        return chainOf[state] >= 0;
    }

    public int chainMax(int state) {
        return chainMax[chainOf[state]];
    }

    public int chainMin(int state) {
        return chainMin[chainOf[state]];
    }

    /** The rule a chain calls for one step, or -1 when its steps are single bytes only. */
    public int chainStepRule(int state) {
        return chainStepRule[chainOf[state]];
    }

    public boolean accepting(int state, int count) {
        int ch = chainOf[state];
        return ch >= 0 ? count >= chainMin[ch] : accepting[state];
    }

    /** Whether a frame in this state can consume a byte itself. */
    public boolean hasBytes(int state, int count) {
        int ch = chainOf[state];
        return ch >= 0 ? count < chainMax[ch] && hasBytes[state] : hasBytes[state];
    }

    /** Whether a frame in this state can consume a byte itself or through a call. */
    public boolean canAdvance(int state, int count) {
        int ch = chainOf[state];
        if (ch >= 0) return count < chainMax[ch] && (hasBytes[state] || chainStepRule[ch] >= 0);
        return hasBytes[state] || callOffset[state + 1] > callOffset[state];
    }

    public int callStart(int state) {
        return callOffset[state];
    }

    public int callEnd(int state) {
        return callOffset[state + 1];
    }

    public int callCallee(int i) {
        return callCallee[i];
    }

    public int callReturn(int i) {
        return callReturn[i];
    }

    public int ruleEntry(int rule) {
        return ruleEntry[rule];
    }

    public int ruleOf(int state) {
        return ruleOfState[state];
    }

    /** Fewest bytes that finish the rule of a frame in this state (0 when it may end now). */
    public int minDist(int state, int count) {
        int ch = chainOf[state];
        if (ch >= 0) return (int) Math.min(INF, (long) Math.max(0, chainMin[ch] - count) * chainStepMin[ch]);
        return minDist[state];
    }

    /** Whether byte b may follow the end of this rule in some context. */
    public boolean follows(int rule, int b) {
        return (follow[rule * 4 + ((b & 0xFF) >>> 6)] & (1L << b)) != 0;
    }

    // ---- analysis ----

    private void analyse() {
        int states = states();
        for (int s = 0; s < states; s++) {
            for (int c = 0; c < classes; c++) if (next[s * classes + c] >= 0) hasBytes[s] = true;
        }
        computeDistances();
        trim();
        computeFollow();
    }

    /** Shortest completions, by relaxation until nothing improves (a call costs the callee's shortest match). */
    private void computeDistances() {
        int states = states();
        Arrays.fill(minDist, INF);
        Arrays.fill(ruleMinLen, INF);
        Arrays.fill(chainStepMin, INF);
        int[][] succ = successors();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int s = states - 1; s >= 0; s--) {
                int ch = chainOf[s];
                if (ch >= 0) {
                    int step = hasBytes[s] ? 1 : chainStepRule[ch] >= 0 ? ruleMinLen[chainStepRule[ch]] : INF;
                    if (step < chainStepMin[ch]) chainStepMin[ch] = step;
                    int v = chainStepMin[ch] >= INF ? INF : (int) Math.min(INF, (long) chainMin[ch] * chainStepMin[ch]);
                    if (v < minDist[s]) {
                        minDist[s] = v;
                        changed = true;
                    }
                    continue;
                }
                int v = accepting[s] ? 0 : INF;
                for (int t : succ[s]) if (minDist[t] < INF) v = Math.min(v, 1 + minDist[t]);
                for (int i = callOffset[s]; i < callOffset[s + 1]; i++) {
                    int ml = ruleMinLen[callCallee[i]], rd = minDist[callReturn[i]];
                    if (ml < INF && rd < INF) v = Math.min(v, ml + rd);
                }
                if (v < minDist[s]) {
                    minDist[s] = v;
                    changed = true;
                }
            }
            for (int r = 0; r < ruleNames.length; r++) {
                int e = ruleEntry[r];
                if (e >= 0 && minDist[e] < ruleMinLen[r]) {
                    ruleMinLen[r] = minDist[e];
                    changed = true;
                }
            }
        }
    }

    private int[][] successors() {
        int states = states();
        int[][] succ = new int[states][];
        int[] buf = new int[classes];
        for (int s = 0; s < states; s++) {
            int n = 0;
            for (int c = 0; c < classes; c++) {
                int t = next[s * classes + c];
                if (t < 0) continue;
                boolean dup = false;
                for (int i = 0; i < n; i++) if (buf[i] == t) dup = true;
                if (!dup) buf[n++] = t;
            }
            succ[s] = Arrays.copyOf(buf, n);
        }
        return succ;
    }

    /** Drops edges into states that cannot finish their rule and calls of rules that match nothing. */
    private void trim() {
        int states = states();
        for (int s = 0; s < states; s++) {
            for (int c = 0; c < classes; c++) {
                int t = next[s * classes + c];
                if (t >= 0 && minDist[t] >= INF) next[s * classes + c] = -1;
            }
            for (int i = callOffset[s]; i < callOffset[s + 1]; i++) {
                if (ruleMinLen[callCallee[i]] >= INF || minDist[callReturn[i]] >= INF) callCallee[i] = -1;
            }
        }
        for (int ch = 0; ch < chainStepRule.length; ch++) {
            if (chainStepRule[ch] >= 0 && ruleMinLen[chainStepRule[ch]] >= INF) chainStepRule[ch] = -1;
        }
        compactCalls();
        Arrays.fill(hasBytes, false);
        for (int s = 0; s < states; s++) {
            for (int c = 0; c < classes; c++) if (next[s * classes + c] >= 0) hasBytes[s] = true;
        }
    }

    private void compactCalls() {
        int states = states();
        int w = 0;
        int start = 0;
        for (int s = 0; s < states; s++) {
            int end = callOffset[s + 1];
            callOffset[s] = w;
            for (int i = start; i < end; i++) {
                if (callCallee[i] < 0) continue;
                callCallee[w] = callCallee[i];
                callReturn[w] = callReturn[i];
                w++;
            }
            start = end;
        }
        callOffset[states] = w;
    }

    /** FOLLOW sets: bytes that can come right after a rule ends (a superset is safe; it only prunes). */
    private void computeFollow() {
        int states = states();
        int rules = ruleNames.length;
        long[] first = new long[states * 4];
        long[] ruleFirst = new long[rules * 4];
        for (int s = 0; s < states; s++) {
            for (int b = 0; b < 256; b++) if (next[s * classes + byteClass[b]] >= 0) first[s * 4 + (b >>> 6)] |= 1L << b;
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < rules; r++) {
                if (ruleEntry[r] < 0) continue;
                changed |= or(ruleFirst, r * 4, first, ruleEntry[r] * 4);
            }
            for (int s = 0; s < states; s++) {
                int ch = chainOf[s];
                if (ch >= 0 && chainStepRule[ch] >= 0) {
                    changed |= or(first, s * 4, ruleFirst, chainStepRule[ch] * 4);
                    // after a step the chain is back in s (more steps, or its end)
                    changed |= or(follow, chainStepRule[ch] * 4, first, s * 4);
                }
                if (ch >= 0 || accepting[s]) changed |= or(first, s * 4, follow, ruleOfState[s] * 4);
                for (int i = callOffset[s]; i < callOffset[s + 1]; i++) {
                    changed |= or(first, s * 4, ruleFirst, callCallee[i] * 4);
                    changed |= or(follow, callCallee[i] * 4, first, callReturn[i] * 4);
                }
            }
        }
    }

    private static boolean or(long[] into, int at, long[] from, int fromAt) {
        boolean changed = false;
        for (int i = 0; i < 4; i++) {
            long v = into[at + i] | from[fromAt + i];
            if (v != into[at + i]) {
                into[at + i] = v;
                changed = true;
            }
        }
        return changed;
    }
}
