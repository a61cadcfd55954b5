package io.backstop.engine.grammar;

import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.ir.Grammar;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Grammars built from other grammars: framed repetitions and alternatives (rules renamed apart). */
final class Grammars {
    private Grammars() {}

    static Grammar framed(String open, Grammar item, String separator, String close, int min, int max) {
        Map<String, Expr> rules = new LinkedHashMap<>(prefixed(item, "i:").rules());
        Expr one = Expr.ref("i:" + item.root());
        List<Expr> parts = new ArrayList<>(List.of(Expr.literal(open), one));
        int extraMax = max == Expr.Repeat.UNBOUNDED ? Expr.Repeat.UNBOUNDED : max - 1;
        if (extraMax != 0) parts.add(new Expr.Repeat(Expr.seq(Expr.literal(separator), one), min - 1, extraMax));
        parts.add(Expr.literal(close));
        rules.put("framed", Expr.seq(parts));
        return new Grammar(rules, "framed");
    }

    static Grammar anyOf(List<Grammar> alternatives) {
        Map<String, Expr> rules = new LinkedHashMap<>();
        List<Expr> roots = new ArrayList<>();
        for (int i = 0; i < alternatives.size(); i++) {
            String prefix = "a" + i + ":";
            Grammar g = prefixed(alternatives.get(i), prefix);
            rules.putAll(g.rules());
            roots.add(Expr.ref(g.root()));
        }
        rules.put("any", Expr.alt(roots));
        return new Grammar(rules, "any");
    }

    /** The same grammar with every rule name prefixed; shared sub-expressions stay shared. */
    static Grammar prefixed(Grammar g, String prefix) {
        Map<Expr, Expr> done = new IdentityHashMap<>();
        Map<String, Expr> rules = new LinkedHashMap<>();
        g.rules().forEach((name, e) -> rules.put(prefix + name, rename(e, prefix, done)));
        return new Grammar(rules, prefix + g.root());
    }

    private static Expr rename(Expr e, String prefix, Map<Expr, Expr> done) {
        Expr known = done.get(e);
        if (known != null) return known;
        Expr out = switch (e) {
            case Expr.Ref r -> Expr.ref(prefix + r.rule());
            case Expr.Seq s -> new Expr.Seq(s.items().stream().map(x -> rename(x, prefix, done)).toList());
            case Expr.Alt a -> new Expr.Alt(a.items().stream().map(x -> rename(x, prefix, done)).toList());
            case Expr.Repeat r -> new Expr.Repeat(rename(r.body(), prefix, done), r.min(), r.max());
            case Expr.Bytes b -> b;
            case Expr.Empty x -> x;
        };
        done.put(e, out);
        return out;
    }
}
