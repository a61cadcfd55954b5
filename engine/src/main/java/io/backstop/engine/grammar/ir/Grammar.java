package io.backstop.engine.grammar.ir;

import java.util.LinkedHashMap;
import java.util.Map;

/** Named rules over bytes and the rule a document must match. */
public record Grammar(Map<String, Expr> rules, String root) {
    public Grammar {
        rules = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rules));
        if (!rules.containsKey(root)) throw new IllegalArgumentException("no root rule " + root);
    }

    /** A grammar of one expression and no other rules. */
    public static Grammar of(Expr root) {
        return new Grammar(Map.of("root", root), "root");
    }
}
