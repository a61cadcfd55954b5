package io.backstop.engine.grammar.json;

import io.backstop.engine.grammar.GrammarLimits;
import io.backstop.engine.grammar.ir.ByteSet;
import io.backstop.engine.grammar.ir.CodePoints;
import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.regex.CharEncoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lexical pieces of JSON as grammar expressions, built once per set of limits and shared (the
 * compiler turns a shared string body into one counted repetition). Whitespace may follow
 * {@code { [ , :} and precede {@code } ]}, as compact and pretty-printed JSON both need.
 */
public final class JsonPieces {
    public static final String VALUE = "json-value", OBJECT = "json-object", ARRAY = "json-array";
    static final int MAX_INT_DIGITS = 16, MAX_FRACTION_DIGITS = 16, MAX_EXPONENT_DIGITS = 3;

    private static final CodePoints PLAIN = CodePoints.ANY.minus(CodePoints.of('"').with('\\', '\\').with(0, 0x1F));
    private static final Expr HEX = Expr.bytes(ByteSet.range('0', '9').union(ByteSet.range('a', 'f')).union(ByteSet.range('A', 'F')));

    final GrammarLimits limits;
    final Expr ws;
    /** One character of a JSON string as written inside the quotes (plain or escaped). */
    final Expr stringChar;
    final Expr string;
    final Expr number;
    final Expr integer;
    final Expr bool;
    final Expr nul = Expr.literal("null");
    /** Characters of a pattern as they are written inside a JSON string. */
    final CharEncoder inString = JsonPieces::encodeInString;

    public JsonPieces(GrammarLimits limits) {
        this.limits = limits;
        this.ws = new Expr.Repeat(Expr.bytes(ByteSet.ofChars(" \t\n\r")), 0, limits.maxWhitespace());
        List<Expr> chars = new ArrayList<>(alternatives(PLAIN.toUtf8()));
        Expr unicodeEscape = Expr.seq(Expr.literal("u"), Expr.alt(
                Expr.seq(Expr.bytes(ByteSet.range('0', '9').union(ByteSet.range('a', 'c')).union(ByteSet.range('A', 'C')).union(ByteSet.ofChars("eEfF"))), HEX, HEX, HEX),
                Expr.seq(Expr.bytes(ByteSet.ofChars("dD")), Expr.bytes(ByteSet.range('0', '7')), HEX, HEX)));
        chars.add(Expr.seq(Expr.literal("\\"), Expr.alt(Expr.bytes(ByteSet.ofChars("\"\\/bfnrt")), unicodeEscape)));
        this.stringChar = Expr.alt(chars);
        this.string = quoted(new Expr.Repeat(stringChar, 0, limits.maxStringLength()));
        Expr digit = Expr.bytes(ByteSet.range('0', '9'));
        Expr intPart = Expr.seq(Expr.opt(Expr.literal("-")), Expr.alt(Expr.literal("0"),
                Expr.seq(Expr.bytes(ByteSet.range('1', '9')), new Expr.Repeat(digit, 0, MAX_INT_DIGITS - 1))));
        this.integer = intPart;
        this.number = Expr.seq(intPart,
                Expr.opt(Expr.seq(Expr.literal("."), new Expr.Repeat(digit, 1, MAX_FRACTION_DIGITS))),
                Expr.opt(Expr.seq(Expr.bytes(ByteSet.ofChars("eE")), Expr.opt(Expr.bytes(ByteSet.ofChars("+-"))), new Expr.Repeat(digit, 1, MAX_EXPONENT_DIGITS))));
        this.bool = Expr.alt(Expr.literal("true"), Expr.literal("false"));
    }

    static Expr quoted(Expr body) {
        return Expr.seq(Expr.literal("\""), body, Expr.literal("\""));
    }

    private static List<Expr> alternatives(Expr e) {
        return e instanceof Expr.Alt a ? a.items() : List.of(e);
    }

    /** The rules of any JSON value (recursive: objects and arrays contain values). */
    Map<String, Expr> anyValueRules() {
        Map<String, Expr> rules = new LinkedHashMap<>();
        Expr value = Expr.ref(VALUE);
        rules.put(VALUE, Expr.alt(Expr.ref(OBJECT), Expr.ref(ARRAY), string, number, bool, nul));
        rules.put(OBJECT, mapOf(value));
        rules.put(ARRAY, arrayOf(value, 0, Expr.Repeat.UNBOUNDED));
        return rules;
    }

    /** An object with any keys whose values match {@code value}. */
    Expr mapOf(Expr value) {
        Expr member = Expr.seq(string, Expr.literal(":"), ws, value);
        Expr members = Expr.seq(member, Expr.star(Expr.seq(Expr.literal(","), ws, member)), ws);
        return Expr.seq(Expr.literal("{"), ws, Expr.opt(members), Expr.literal("}"));
    }

    Expr arrayOf(Expr item, int min, int max) {
        if (max == 0) return Expr.seq(Expr.literal("["), ws, Expr.literal("]"));
        int restMax = max == Expr.Repeat.UNBOUNDED ? Expr.Repeat.UNBOUNDED : max - 1;
        Expr list = Expr.seq(item, new Expr.Repeat(Expr.seq(Expr.literal(","), ws, item), Math.max(0, min - 1), restMax), ws);
        return Expr.seq(Expr.literal("["), ws, min == 0 ? Expr.opt(list) : list, Expr.literal("]"));
    }

    /** A character class as it may appear inside a JSON string: plain, or escaped where JSON requires it. */
    private static Expr encodeInString(CodePoints set) {
        List<Expr> alts = new ArrayList<>();
        CodePoints plain = set.minus(CodePoints.of('"').with('\\', '\\').with(0, 0x1F));
        if (!plain.isEmpty()) alts.addAll(alternatives(plain.toUtf8()));
        if (set.contains('"')) alts.add(Expr.literal("\\\""));
        if (set.contains('\\')) alts.add(Expr.literal("\\\\"));
        for (int c = 0; c < 0x20; c++) {
            if (!set.contains(c)) continue;
            String named = switch (c) {
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                default -> null;
            };
            if (named != null) alts.add(Expr.literal(named));
            else {
                String hex = String.format("%04x", c);
                alts.add(Expr.seq(Expr.literal("\\u00"), Expr.bytes(ByteSet.of(hex.charAt(2))),
                        Expr.bytes(ByteSet.ofChars(hex.substring(3) + hex.substring(3).toUpperCase()))));
            }
        }
        if (alts.isEmpty()) throw new IllegalStateException("empty character class");
        return Expr.alt(alts);
    }
}
