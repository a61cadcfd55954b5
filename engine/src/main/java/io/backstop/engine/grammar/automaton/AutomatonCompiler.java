package io.backstop.engine.grammar.automaton;

import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.ir.ByteSet;
import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.ir.Grammar;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Grammar → {@link Automaton}. Small repetitions are unrolled; large ones become chains (a counter
 * instead of copies). Rules that are not recursive and not too large are inlined into their callers,
 * so most JSON schemas end up as a handful of DFAs with calls only where recursion or chains need them.
 */
public final class AutomatonCompiler {
    /** Repetitions with at most this many copies (and a small body) are unrolled. */
    static final int UNROLL_COPIES = 8;
    static final int UNROLL_SIZE = 4096;
    static final int INLINE_SIZE = 4096;
    static final int STATE_LIMIT = 200_000;

    private final Map<String, Def> defs = new LinkedHashMap<>();
    private final Map<String, Boolean> nullable = new HashMap<>();
    private final Map<Expr, Expr> lowered = new IdentityHashMap<>();
    private final String root;
    private int synthetic;

    /** A rule: an expression, or a chain (counted repetition of a byte set and/or a called rule). */
    private record Def(Expr expr, ByteSet stepBytes, String stepRule, int min, int max) {
        boolean isChain() {
            return expr == null;
        }
    }

    private AutomatonCompiler(Grammar g) {
        this.root = g.root();
        g.rules().forEach((name, e) -> defs.put(name, new Def(e, null, null, 0, 0)));
    }

    public static Automaton compile(Grammar g) {
        return new AutomatonCompiler(g).run();
    }

    private Automaton run() {
        for (Def d : defs.values()) checkRefs(d.expr(), new HashSet<>());
        computeNullable();
        for (String name : new ArrayList<>(defs.keySet())) {
            Def d = defs.get(name);
            defs.put(name, new Def(lower(d.expr()), null, null, 0, 0));
        }
        Set<String> inline = inlinable();
        List<String> order = reachable(inline);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < order.size(); i++) ids.put(order.get(i), i);
        Dfa[] dfas = new Dfa[order.size()];
        int total = 0;
        for (int i = 0; i < order.size(); i++) {
            Def d = defs.get(order.get(i));
            if (d.isChain()) continue;
            Nfa nfa = new Nfa(STATE_LIMIT * 4,
                    name -> inline.contains(name) ? -1 : ids.get(name),
                    name -> defs.get(name).expr(),
                    id -> nullable.get(order.get(id)));
            int start = nfa.build(d.expr(), nfa.accept);
            dfas[i] = Dfa.of(nfa, start, STATE_LIMIT);
            total += dfas[i].size();
            if (total > STATE_LIMIT) throw new GrammarException("the grammar is too large (more than " + STATE_LIMIT + " automaton states)");
        }
        checkLeftRecursion(order, ids, dfas);
        Automaton a = assemble(order, ids, dfas);
        if (a.minDist[a.rootState] >= Automaton.INF) throw new GrammarException("the grammar matches no document");
        return a;
    }

    // ---- checks ----

    private void checkRefs(Expr e, Set<Expr> seen) {
        if (e == null || !seen.add(e)) return;
        switch (e) {
            case Expr.Ref r -> {
                if (!defs.containsKey(r.rule())) throw new GrammarException("rule '" + r.rule() + "' is not defined");
            }
            case Expr.Seq s -> s.items().forEach(i -> checkRefs(i, seen));
            case Expr.Alt a -> a.items().forEach(i -> checkRefs(i, seen));
            case Expr.Repeat r -> checkRefs(r.body(), seen);
            default -> { }
        }
    }

    private void computeNullable() {
        defs.keySet().forEach(n -> nullable.put(n, false));
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Map.Entry<String, Def> en : defs.entrySet()) {
                if (!nullable.get(en.getKey()) && nullable(en.getValue().expr())) {
                    nullable.put(en.getKey(), true);
                    changed = true;
                }
            }
        }
    }

    private boolean nullable(Expr e) {
        return switch (e) {
            case Expr.Empty x -> true;
            case Expr.Bytes b -> false;
            case Expr.Seq s -> s.items().stream().allMatch(this::nullable);
            case Expr.Alt a -> a.items().stream().anyMatch(this::nullable);
            case Expr.Ref r -> nullable.getOrDefault(r.rule(), false);
            case Expr.Repeat r -> r.min() == 0 || nullable(r.body());
        };
    }

    private void checkLeftRecursion(List<String> order, Map<String, Integer> ids, Dfa[] dfas) {
        int n = order.size();
        List<List<Integer>> leftCalls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Integer> out = new ArrayList<>();
            Def d = defs.get(order.get(i));
            if (d.isChain()) {
                if (d.stepRule() != null) out.add(ids.get(d.stepRule()));
            } else {
                int[] calls = dfas[i].calls[dfas[i].start];
                for (int k = 0; k < calls.length; k += 2) out.add(calls[k]);
            }
            leftCalls.add(out);
        }
        int[] color = new int[n];
        for (int i = 0; i < n; i++) {
            String cyc = cycleFrom(i, leftCalls, color, new ArrayDeque<>(), order);
            if (cyc != null) throw new GrammarException("rule '" + cyc + "' is left-recursive (it can reach itself without consuming input)");
        }
    }

    private String cycleFrom(int r, List<List<Integer>> g, int[] color, ArrayDeque<Integer> path, List<String> order) {
        if (color[r] == 2) return null;
        if (color[r] == 1) {
            for (int p : path) if (!order.get(p).startsWith("#")) return order.get(p);
            return order.get(r);
        }
        color[r] = 1;
        path.push(r);
        for (int c : g.get(r)) {
            String cyc = cycleFrom(c, g, color, path, order);
            if (cyc != null) return cyc;
        }
        path.pop();
        color[r] = 2;
        return null;
    }

    // ---- lowering of large repetitions into chains ----

    private Expr lower(Expr e) {
        Expr done = lowered.get(e);
        if (done != null) return done;
        Expr out = switch (e) {
            case Expr.Seq s -> {
                List<Expr> items = s.items().stream().map(this::lower).toList();
                yield same(items, s.items()) ? s : new Expr.Seq(items);
            }
            case Expr.Alt a -> {
                List<Expr> items = a.items().stream().map(this::lower).toList();
                yield same(items, a.items()) ? a : new Expr.Alt(items);
            }
            case Expr.Repeat r -> lowerRepeat(r);
            default -> e;
        };
        lowered.put(e, out);
        return out;
    }

    private static boolean same(List<Expr> a, List<Expr> b) {
        for (int i = 0; i < a.size(); i++) if (a.get(i) != b.get(i)) return false;
        return true;
    }

    private Expr lowerRepeat(Expr.Repeat r) {
        Expr body = lower(r.body());
        boolean unbounded = r.max() == Expr.Repeat.UNBOUNDED;
        long copies = unbounded ? r.min() + 1L : r.max();
        if (copies <= UNROLL_COPIES && copies * size(body) <= UNROLL_SIZE) {
            return body == r.body() ? r : new Expr.Repeat(body, r.min(), r.max());
        }
        if (unbounded && r.min() <= 1) return new Expr.Repeat(body, r.min(), r.max());
        ByteSet stepBytes = ByteSet.NONE;
        List<Expr> rest = new ArrayList<>();
        if (body instanceof Expr.Bytes b) stepBytes = b.set();
        else if (body instanceof Expr.Alt a) {
            for (Expr item : a.items()) {
                if (item instanceof Expr.Bytes b) stepBytes = stepBytes.union(b.set());
                else rest.add(item);
            }
        } else rest.add(body);
        String stepRule = null;
        boolean bodyNullable = nullable(body);
        if (!rest.isEmpty()) {
            stepRule = "#step" + (++synthetic);
            Expr stepExpr = Expr.alt(rest);
            defs.put(stepRule, new Def(stepExpr, null, null, 0, 0));
            nullable.put(stepRule, nullable(stepExpr));
        }
        String name = "#rep" + (++synthetic);
        int min = bodyNullable ? 1 : Math.max(1, r.min());
        int max = unbounded ? Integer.MAX_VALUE - 1 : r.max();
        defs.put(name, new Def(null, stepBytes, stepRule, min, max));
        nullable.put(name, bodyNullable || r.min() == 0);
        return new Expr.Ref(name);
    }

    /** Automaton size of an expression (shared sub-expressions counted once; a reference counts 1). */
    private static int size(Expr e) {
        return size(e, new IdentityHashMap<>());
    }

    private static int size(Expr e, Map<Expr, Boolean> seen) {
        if (seen.put(e, Boolean.TRUE) != null) return 0;
        long s = switch (e) {
            case Expr.Empty x -> 0;
            case Expr.Bytes b -> 1;
            case Expr.Ref r -> 1;
            case Expr.Seq q -> q.items().stream().mapToLong(i -> size(i, seen)).sum();
            case Expr.Alt a -> 1 + a.items().stream().mapToLong(i -> size(i, seen)).sum();
            case Expr.Repeat r -> {
                long copies = r.max() == Expr.Repeat.UNBOUNDED ? r.min() + 1L : r.max();
                yield copies * (size(r.body(), new IdentityHashMap<>()) + 1);
            }
        };
        return (int) Math.min(Integer.MAX_VALUE / 2, s);
    }

    // ---- inlining ----

    private Set<String> refsOf(String rule) {
        Def d = defs.get(rule);
        Set<String> out = new HashSet<>();
        if (d.isChain()) {
            if (d.stepRule() != null) out.add(d.stepRule());
        } else collectRefs(d.expr(), out, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void collectRefs(Expr e, Set<String> out, Set<Expr> seen) {
        if (!seen.add(e)) return;
        switch (e) {
            case Expr.Ref r -> out.add(r.rule());
            case Expr.Seq s -> s.items().forEach(i -> collectRefs(i, out, seen));
            case Expr.Alt a -> a.items().forEach(i -> collectRefs(i, out, seen));
            case Expr.Repeat r -> collectRefs(r.body(), out, seen);
            default -> { }
        }
    }

    /** Rules that are not recursive, not chains and small enough to copy into every caller. */
    private Set<String> inlinable() {
        Map<String, Set<String>> graph = new HashMap<>();
        for (String r : defs.keySet()) graph.put(r, refsOf(r));
        Set<String> recursive = recursiveRules(graph);
        Set<String> inline = new HashSet<>();
        Map<String, Integer> expanded = new HashMap<>();
        for (String r : defs.keySet()) inlineSize(r, graph, recursive, inline, expanded);
        return inline;
    }

    private int inlineSize(String r, Map<String, Set<String>> graph, Set<String> recursive, Set<String> inline, Map<String, Integer> expanded) {
        Integer known = expanded.get(r);
        if (known != null) return known;
        Def d = defs.get(r);
        if (d.isChain() || recursive.contains(r)) {
            expanded.put(r, 1);
            return 1;
        }
        expanded.put(r, 1); // provisional (not recursive, so never read before it is set)
        long s = size(d.expr());
        for (String callee : graph.get(r)) s += inlineSize(callee, graph, recursive, inline, expanded);
        int size = (int) Math.min(Integer.MAX_VALUE / 2, s);
        if (!r.equals(root) && size <= INLINE_SIZE) inline.add(r);
        int result = inline.contains(r) ? size : 1;
        expanded.put(r, result);
        return result;
    }

    private static Set<String> recursiveRules(Map<String, Set<String>> graph) {
        // Tarjan's strongly connected components
        Set<String> out = new HashSet<>();
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        ArrayDeque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        int[] counter = {0};
        for (String v : graph.keySet()) if (!index.containsKey(v)) strong(v, graph, index, low, stack, onStack, counter, out);
        return out;
    }

    private static void strong(String v, Map<String, Set<String>> g, Map<String, Integer> index, Map<String, Integer> low,
                               ArrayDeque<String> stack, Set<String> onStack, int[] counter, Set<String> out) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : g.get(v)) {
            if (!index.containsKey(w)) {
                strong(w, g, index, low, stack, onStack, counter, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> comp = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                comp.add(w);
            } while (!w.equals(v));
            if (comp.size() > 1 || g.get(v).contains(v)) out.addAll(comp);
        }
    }

    /** Rules that need an automaton of their own: the root and every rule called (not inlined) from one. */
    private List<String> reachable(Set<String> inline) {
        List<String> order = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        ArrayDeque<String> queue = new ArrayDeque<>();
        queue.add(root);
        seen.add(root);
        while (!queue.isEmpty()) {
            String r = queue.poll();
            order.add(r);
            for (String c : calledFrom(r, inline)) if (seen.add(c)) queue.add(c);
        }
        return order;
    }

    private Set<String> calledFrom(String r, Set<String> inline) {
        Set<String> out = new HashSet<>();
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(r));
        Set<String> expanded = new HashSet<>();
        while (!todo.isEmpty()) {
            String x = todo.poll();
            if (!expanded.add(x)) continue;
            for (String c : refsOf(x)) {
                if (inline.contains(c) && !defs.get(x).isChain()) todo.add(c);
                else out.add(c);
            }
        }
        return out;
    }

    // ---- assembly into global tables ----

    private Automaton assemble(List<String> order, Map<String, Integer> ids, Dfa[] dfas) {
        int rules = order.size();
        int[] global = new int[256];
        for (int i = 0; i < rules; i++) {
            Def d = defs.get(order.get(i));
            if (d.isChain()) {
                int[] cls = new int[256];
                for (int b = 0; b < 256; b++) cls[b] = d.stepBytes().contains(b) ? 1 : 0;
                global = refine(global, cls);
            } else global = refine(global, dfas[i].classOf);
        }
        int classes = 0;
        for (int c : global) classes = Math.max(classes, c + 1);
        int[] rep = new int[classes];
        java.util.Arrays.fill(rep, -1);
        for (int b = 0; b < 256; b++) if (rep[global[b]] < 0) rep[global[b]] = b;

        int[] base = new int[rules];
        int[] entry = new int[rules];
        int states = 0;
        for (int i = 0; i < rules; i++) {
            base[i] = states;
            if (dfas[i] == null) {
                entry[i] = states++;
            } else {
                states += dfas[i].size();
                entry[i] = dfas[i].accepting[dfas[i].start] ? states++ : base[i] + dfas[i].start;
            }
        }
        int[] next = new int[states * classes];
        java.util.Arrays.fill(next, -1);
        boolean[] accepting = new boolean[states];
        int[] ruleOf = new int[states];
        int[] chainOf = new int[states];
        java.util.Arrays.fill(chainOf, -1);
        List<int[]> callRows = new ArrayList<>(java.util.Collections.nCopies(states, new int[0]));
        List<Integer> chainMin = new ArrayList<>(), chainMax = new ArrayList<>(), chainStep = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            Def d = defs.get(order.get(i));
            if (dfas[i] == null) {
                int s = entry[i];
                ruleOf[s] = i;
                chainOf[s] = chainMin.size();
                chainMin.add(d.min());
                chainMax.add(d.max());
                chainStep.add(d.stepRule() == null ? -1 : ids.get(d.stepRule()));
                for (int c = 0; c < classes; c++) if (d.stepBytes().contains(rep[c])) next[s * classes + c] = s;
                continue;
            }
            Dfa dfa = dfas[i];
            for (int k = 0; k < dfa.size(); k++) {
                int s = base[i] + k;
                fillState(s, dfa, k, base[i], classes, rep, next, callRows);
                accepting[s] = dfa.accepting[k];
                ruleOf[s] = i;
            }
            if (entry[i] != base[i] + dfa.start) {
                fillState(entry[i], dfa, dfa.start, base[i], classes, rep, next, callRows);
                ruleOf[entry[i]] = i;
            }
        }
        int[] callOffset = new int[states + 1];
        int calls = 0;
        for (int s = 0; s < states; s++) {
            callOffset[s] = calls;
            calls += callRows.get(s).length / 2;
        }
        callOffset[states] = calls;
        int[] callee = new int[calls], ret = new int[calls];
        for (int s = 0; s < states; s++) {
            int[] row = callRows.get(s);
            for (int k = 0; k < row.length; k += 2) {
                callee[callOffset[s] + k / 2] = row[k];
                ret[callOffset[s] + k / 2] = row[k + 1];
            }
        }
        int rootState = base[0] + dfas[0].start;
        return new Automaton(order.toArray(String[]::new), classes, global, next, accepting, callOffset, callee, ret, ruleOf, entry,
                rootState, chainOf, ints(chainMin), ints(chainMax), ints(chainStep));
    }

    private static void fillState(int s, Dfa dfa, int k, int base, int classes, int[] rep, int[] next, List<int[]> callRows) {
        for (int c = 0; c < classes; c++) {
            int t = dfa.next[k][dfa.classOf[rep[c]]];
            next[s * classes + c] = t < 0 ? -1 : base + t;
        }
        int[] calls = dfa.calls[k].clone(); // callee rule id, return state pairs
        for (int j = 1; j < calls.length; j += 2) calls[j] = base + calls[j];
        callRows.set(s, calls);
    }

    private static int[] refine(int[] a, int[] b) {
        Map<Long, Integer> ids = new HashMap<>();
        int[] out = new int[256];
        for (int x = 0; x < 256; x++) out[x] = ids.computeIfAbsent(((long) a[x] << 32) | b[x], k -> ids.size());
        return out;
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
