package io.backstop.engine.grammar.automaton;

import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.ir.ByteSet;
import io.backstop.engine.grammar.ir.Expr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.function.ToIntFunction;

/**
 * A Thompson-style NFA of one rule, built in continuation-passing style: {@code build(e, next)} returns
 * a state from which {@code e} leads to {@code next}. The same expression object built with the same
 * continuation is built once, so DAG-shaped expressions (optional object members) stay linear in size.
 * Edges: a byte from a set, epsilon, or a call of another rule.
 */
final class Nfa {
    static final int BYTE = 0, EPS = 1, CALL = 2;

    private final int limit;
    final List<int[]> edges = new ArrayList<>(); // per state: kind, arg, target triples
    final List<ByteSet> sets = new ArrayList<>();
    private final Map<ByteSet, Integer> setIds = new HashMap<>();
    private final Map<MemoKey, Integer> memo = new HashMap<>();
    private final ToIntFunction<String> callee;     // rule name → id for a call, or -1 to inline
    private final java.util.function.Function<String, Expr> inlineBody;
    private final IntPredicate nullableRule;
    final int accept;

    /**
     * @param callee       the rule id to call for a reference, or -1 when it is inlined
     * @param inlineBody   the expression of a rule to inline
     * @param nullableRule whether a called rule matches the empty string (the call then gets an epsilon bypass)
     */
    Nfa(int limit, ToIntFunction<String> callee, java.util.function.Function<String, Expr> inlineBody, IntPredicate nullableRule) {
        this.limit = limit;
        this.callee = callee;
        this.inlineBody = inlineBody;
        this.nullableRule = nullableRule;
        this.accept = newState();
    }

    int size() {
        return edges.size();
    }

    int newState() {
        if (edges.size() >= limit) throw new GrammarException("the grammar is too large (more than " + limit + " automaton states in one rule)");
        edges.add(new int[0]);
        return edges.size() - 1;
    }

    private void edge(int from, int kind, int arg, int to) {
        int[] e = edges.get(from);
        int[] n = java.util.Arrays.copyOf(e, e.length + 3);
        n[e.length] = kind;
        n[e.length + 1] = arg;
        n[e.length + 2] = to;
        edges.set(from, n);
    }

    private int setId(ByteSet s) {
        return setIds.computeIfAbsent(s, k -> {
            sets.add(k);
            return sets.size() - 1;
        });
    }

    /** A state from which {@code e} then {@code next} is matched. */
    int build(Expr e, int next) {
        MemoKey key = new MemoKey(e, next);
        Integer known = memo.get(key);
        if (known != null) return known;
        int entry = switch (e) {
            case Expr.Empty x -> next;
            case Expr.Bytes b -> {
                if (b.set().isEmpty()) yield newState(); // matches nothing: a dead end
                int s = newState();
                edge(s, BYTE, setId(b.set()), next);
                yield s;
            }
            case Expr.Seq q -> {
                int cur = next;
                for (int i = q.items().size() - 1; i >= 0; i--) cur = build(q.items().get(i), cur);
                yield cur;
            }
            case Expr.Alt a -> {
                int s = newState();
                for (Expr item : a.items()) edge(s, EPS, 0, build(item, next));
                yield s;
            }
            case Expr.Ref r -> {
                int id = callee.applyAsInt(r.rule());
                if (id < 0) yield build(inlineBody.apply(r.rule()), next);
                int s = newState();
                edge(s, CALL, id, next);
                if (nullableRule.test(id)) edge(s, EPS, 0, next);
                yield s;
            }
            case Expr.Repeat r -> repeat(r, next);
        };
        memo.put(key, entry);
        return entry;
    }

    private int repeat(Expr.Repeat r, int next) {
        int cur;
        if (r.max() == Expr.Repeat.UNBOUNDED) {
            int loop = newState();
            edge(loop, EPS, 0, next);
            edge(loop, EPS, 0, build(r.body(), loop));
            cur = loop;
        } else {
            cur = next;
            for (int i = 0; i < r.max() - r.min(); i++) {
                int s = newState();
                edge(s, EPS, 0, next);
                edge(s, EPS, 0, build(r.body(), cur));
                cur = s;
            }
        }
        for (int i = 0; i < r.min(); i++) cur = build(r.body(), cur);
        return cur;
    }

    /** Identity of the expression object plus the continuation. */
    private record MemoKey(Expr e, int next) {
        @Override
        public boolean equals(Object o) {
            return o instanceof MemoKey k && k.e == e && k.next == next;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(e) * 31 + next;
        }
    }
}
