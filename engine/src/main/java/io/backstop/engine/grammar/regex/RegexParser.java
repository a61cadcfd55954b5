package io.backstop.engine.grammar.regex;

import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.ir.CodePoints;
import io.backstop.engine.grammar.ir.Expr;
import java.util.ArrayList;
import java.util.List;

/**
 * Regular expressions (the ECMAScript syntax JSON Schema uses) → grammar expressions: literals,
 * escapes, classes, {@code .}, groups, alternation and the quantifiers {@code * + ? {n} {n,} {n,m}}
 * (lazy forms accepted: laziness means nothing to a recognizer). Back-references, look-around and
 * word boundaries are refused. {@code ^} and {@code $} only at the ends.
 */
public final class RegexParser {
    static final CodePoints DIGIT = CodePoints.range('0', '9');
    static final CodePoints WORD = CodePoints.range('a', 'z').with('A', 'Z').with('0', '9').with('_', '_');
    static final CodePoints SPACE = CodePoints.range('\t', '\r').with(' ', ' ').with(0xA0, 0xA0).with(0x1680, 0x1680)
            .with(0x2000, 0x200A).with(0x2028, 0x2029).with(0x202F, 0x202F).with(0x205F, 0x205F).with(0x3000, 0x3000).with(0xFEFF, 0xFEFF);
    static final CodePoints DOT = CodePoints.ANY.minus(CodePoints.of('\n').with('\r', '\r').with(0x2028, 0x2029));

    private final String src;
    private final CharEncoder enc;
    private int pos;
    private boolean anchoredStart, anchoredEnd;

    private RegexParser(String src, CharEncoder enc) {
        this.src = src;
        this.enc = enc;
    }

    /** A pattern that must match the whole output ({@code ^}/{@code $} at the ends are allowed and change nothing). */
    public static Expr whole(String pattern, CharEncoder enc) {
        RegexParser p = new RegexParser(pattern, enc);
        return p.parseAll();
    }

    /**
     * A pattern with search semantics (JSON Schema {@code pattern}): unless anchored, anything may come
     * before and after a match; {@code any} is the expression used for that padding.
     */
    public static Expr search(String pattern, CharEncoder enc, Expr any) {
        RegexParser p = new RegexParser(pattern, enc);
        Expr e = p.parseAll();
        List<Expr> seq = new ArrayList<>();
        if (!p.anchoredStart) seq.add(any);
        seq.add(e);
        if (!p.anchoredEnd) seq.add(any);
        return Expr.seq(seq);
    }

    private Expr parseAll() {
        if (src.startsWith("^")) {
            anchoredStart = true;
            pos = 1;
        }
        Expr e = alternation();
        if (pos < src.length()) {
            if (src.charAt(pos) == ')') throw error("unbalanced ')'");
            throw error("unexpected '" + src.charAt(pos) + "'");
        }
        return e;
    }

    private GrammarException error(String what) {
        return new GrammarException("pattern", "invalid regular expression at position " + pos + ": " + what + " (in /" + src + "/)");
    }

    private GrammarException unsupported(String what) {
        return new GrammarException("pattern", "regular expression uses " + what + ", which is not supported (in /" + src + "/)");
    }

    private boolean more() {
        return pos < src.length();
    }

    private char peek() {
        return src.charAt(pos);
    }

    private Expr alternation() {
        List<Expr> alts = new ArrayList<>();
        alts.add(concat());
        while (more() && peek() == '|') {
            pos++;
            alts.add(concat());
        }
        return Expr.alt(alts);
    }

    private Expr concat() {
        List<Expr> items = new ArrayList<>();
        while (more() && peek() != '|' && peek() != ')') {
            if (peek() == '$') {
                pos++;
                if (more() && peek() != '|' && peek() != ')') throw unsupported("'$' before the end of the pattern");
                if (more() || depth > 0) throw unsupported("'$' inside a group or alternative");
                anchoredEnd = true;
                continue;
            }
            if (peek() == '^') throw unsupported("'^' after the start of the pattern");
            items.add(quantified(atom()));
        }
        return Expr.seq(items);
    }

    private int depth;

    private Expr quantified(Expr atom) {
        while (more()) {
            char c = peek();
            int min, max;
            if (c == '*') {
                min = 0;
                max = Expr.Repeat.UNBOUNDED;
                pos++;
            } else if (c == '+') {
                min = 1;
                max = Expr.Repeat.UNBOUNDED;
                pos++;
            } else if (c == '?') {
                min = 0;
                max = 1;
                pos++;
            } else if (c == '{' && braceQuantifier()) {
                pos++;
                min = number(0);
                max = min;
                if (peek() == ',') {
                    pos++;
                    max = peek() == '}' ? Expr.Repeat.UNBOUNDED : number(-1);
                }
                pos++; // '}'
                if (max != Expr.Repeat.UNBOUNDED && max < min) throw error("{" + min + "," + max + "} has max below min");
            } else return atom;
            if (more() && peek() == '?') pos++; // lazy
            else if (more() && peek() == '+') throw unsupported("possessive quantifiers");
            atom = new Expr.Repeat(atom, min, max);
        }
        return atom;
    }

    /** Whether a '{' at pos starts {n}, {n,} or {n,m} ({,m} as in some dialects too). */
    private boolean braceQuantifier() {
        int i = pos + 1;
        int digits = 0;
        while (i < src.length() && Character.isDigit(src.charAt(i))) { i++; digits++; }
        if (i < src.length() && src.charAt(i) == ',') {
            i++;
            while (i < src.length() && Character.isDigit(src.charAt(i))) i++;
        }
        return digits > 0 && i < src.length() && src.charAt(i) == '}' || (digits == 0 && src.startsWith("{,", pos) && i < src.length() && src.charAt(i) == '}');
    }

    private int number(int dflt) {
        int start = pos;
        while (more() && Character.isDigit(peek())) pos++;
        if (start == pos) return dflt == -1 ? Expr.Repeat.UNBOUNDED : dflt;
        try {
            int n = Integer.parseInt(src.substring(start, pos));
            if (n > 100_000) throw unsupported("a repetition count above 100000");
            return n;
        } catch (NumberFormatException e) {
            throw unsupported("a repetition count above 100000");
        }
    }

    private Expr atom() {
        char c = peek();
        switch (c) {
            case '(' -> {
                pos++;
                if (src.startsWith("?:", pos)) pos += 2;
                else if (src.startsWith("?=", pos) || src.startsWith("?!", pos) || src.startsWith("?<=", pos) || src.startsWith("?<!", pos)) {
                    throw unsupported("look-around");
                } else if (src.startsWith("?<", pos) || src.startsWith("?P<", pos)) {
                    int close = src.indexOf('>', pos);
                    if (close < 0) throw error("unterminated group name");
                    pos = close + 1;
                } else if (more() && peek() == '?') throw unsupported("group flags");
                depth++;
                Expr e = alternation();
                depth--;
                if (!more() || peek() != ')') throw error("missing ')'");
                pos++;
                return e;
            }
            case '[' -> {
                return enc.encode(charClass());
            }
            case '.' -> {
                pos++;
                return enc.encode(DOT);
            }
            case '\\' -> {
                pos++;
                return escapeAtom();
            }
            case '*', '+', '?' -> throw error("nothing to repeat before '" + c + "'");
            case ')' -> throw error("unbalanced ')'");
            default -> {
                int cp = src.codePointAt(pos);
                pos += Character.charCount(cp);
                return enc.encode(CodePoints.of(cp));
            }
        }
    }

    private Expr escapeAtom() {
        if (!more()) throw error("trailing backslash");
        char c = peek();
        if (c >= '1' && c <= '9') throw unsupported("back-references");
        if (c == 'k' && src.startsWith("k<", pos)) throw unsupported("back-references");
        if (c == 'b' || c == 'B') throw unsupported("word boundaries");
        return enc.encode(escape(false));
    }

    /** The characters an escape stands for (pos is just after the backslash). */
    private CodePoints escape(boolean inClass) {
        char c = src.charAt(pos++);
        return switch (c) {
            case 'd' -> DIGIT;
            case 'D' -> DIGIT.complement();
            case 'w' -> WORD;
            case 'W' -> WORD.complement();
            case 's' -> SPACE;
            case 'S' -> SPACE.complement();
            case 'n' -> CodePoints.of('\n');
            case 'r' -> CodePoints.of('\r');
            case 't' -> CodePoints.of('\t');
            case 'f' -> CodePoints.of('\f');
            case 'v' -> CodePoints.of(0x0B);
            case '0' -> CodePoints.of(0);
            case 'b' -> {
                if (!inClass) throw unsupported("word boundaries");
                yield CodePoints.of('\b');
            }
            case 'x' -> CodePoints.of(hex(2));
            case 'u' -> {
                if (more() && peek() == '{') {
                    int close = src.indexOf('}', pos);
                    if (close < 0) throw error("unterminated \\u{...}");
                    int cp = parseHex(src.substring(pos + 1, close));
                    pos = close + 1;
                    yield CodePoints.of(cp);
                }
                yield CodePoints.of(hex(4));
            }
            case 'p', 'P' -> throw unsupported("Unicode property classes (\\" + c + ")");
            case 'c' -> throw unsupported("control escapes (\\c)");
            default -> {
                if (Character.isLetterOrDigit(c)) throw unsupported("the escape \\" + c);
                yield CodePoints.of(c);
            }
        };
    }

    private int hex(int n) {
        if (pos + n > src.length()) throw error("incomplete hex escape");
        int v = parseHex(src.substring(pos, pos + n));
        pos += n;
        return v;
    }

    private int parseHex(String h) {
        try {
            int v = Integer.parseInt(h, 16);
            if (v > CodePoints.MAX) throw error("code point out of range");
            return v;
        } catch (NumberFormatException e) {
            throw error("bad hex escape '" + h + "'");
        }
    }

    private CodePoints charClass() {
        pos++; // [
        boolean negate = more() && peek() == '^';
        if (negate) pos++;
        CodePoints set = CodePoints.NONE;
        boolean first = true;
        while (true) {
            if (!more()) throw error("unterminated character class");
            char c = peek();
            if (c == ']' && !first) {
                pos++;
                break;
            }
            first = false;
            CodePoints lo = classAtom();
            if (more() && peek() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']') {
                pos++;
                CodePoints hi = classAtom();
                int a = single(lo), b = single(hi);
                if (a > b) throw error("range out of order");
                set = set.with(a, b);
            } else set = set.union(lo);
        }
        return negate ? set.complement() : set;
    }

    private CodePoints classAtom() {
        if (peek() == '\\') {
            pos++;
            if (!more()) throw error("trailing backslash");
            return escape(true);
        }
        int cp = src.codePointAt(pos);
        pos += Character.charCount(cp);
        return CodePoints.of(cp);
    }

    private int single(CodePoints cp) {
        int[] r = cp.ranges();
        if (r.length != 2 || r[0] != r[1]) throw error("a class escape cannot bound a range");
        return r[0];
    }
}
