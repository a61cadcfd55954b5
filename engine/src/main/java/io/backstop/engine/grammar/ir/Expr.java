package io.backstop.engine.grammar.ir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A grammar expression over bytes: what every front-end (JSON Schema, regex, GBNF, choices) produces.
 * Expressions form a DAG: the compiler shares the automaton of an expression object that is reached
 * twice with the same continuation, so front-ends may reuse sub-expressions freely (compare by identity).
 */
public sealed interface Expr {
    /** One byte from a set. */
    record Bytes(ByteSet set) implements Expr {}

    record Seq(List<Expr> items) implements Expr {
        public Seq {
            items = List.copyOf(items);
        }
    }

    record Alt(List<Expr> items) implements Expr {
        public Alt {
            items = List.copyOf(items);
        }
    }

    /** A reference to a named rule (recursion goes through these). */
    record Ref(String rule) implements Expr {}

    /** {@code body} repeated min..max times; max {@link #UNBOUNDED} for no limit. */
    record Repeat(Expr body, int min, int max) implements Expr {
        public static final int UNBOUNDED = -1;

        public Repeat {
            if (min < 0 || (max != UNBOUNDED && max < min)) throw new IllegalArgumentException("bad repetition {" + min + "," + max + "}");
        }
    }

    /** The empty string. */
    record Empty() implements Expr {}

    Expr EMPTY = new Empty();

    static Expr bytes(ByteSet set) {
        return new Bytes(set);
    }

    static Expr literal(String text) {
        return literal(text.getBytes(StandardCharsets.UTF_8));
    }

    static Expr literal(byte[] bytes) {
        if (bytes.length == 1) return new Bytes(ByteSet.of(bytes[0] & 0xFF));
        List<Expr> items = new ArrayList<>(bytes.length);
        for (byte b : bytes) items.add(new Bytes(ByteSet.of(b & 0xFF)));
        return items.isEmpty() ? EMPTY : new Seq(items);
    }

    static Expr seq(Expr... items) {
        return items.length == 1 ? items[0] : new Seq(List.of(items));
    }

    static Expr seq(List<Expr> items) {
        return items.size() == 1 ? items.getFirst() : items.isEmpty() ? EMPTY : new Seq(items);
    }

    static Expr alt(Expr... items) {
        return items.length == 1 ? items[0] : new Alt(List.of(items));
    }

    static Expr alt(List<Expr> items) {
        return items.size() == 1 ? items.getFirst() : new Alt(items);
    }

    static Expr opt(Expr e) {
        return new Repeat(e, 0, 1);
    }

    static Expr star(Expr e) {
        return new Repeat(e, 0, Repeat.UNBOUNDED);
    }

    static Expr plus(Expr e) {
        return new Repeat(e, 1, Repeat.UNBOUNDED);
    }

    static Expr ref(String rule) {
        return new Ref(rule);
    }
}
