package io.backstop.engine.grammar.gbnf;

import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.ir.CodePoints;
import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.ir.Grammar;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's GBNF: {@code name ::= alternatives} rules, {@code |}, sequences, {@code "literals"},
 * {@code [char classes]} (with {@code ^} and ranges), {@code .}, rule names, {@code ( groups )} and the
 * repetitions {@code * + ? {m} {m,} {m,n} {,n}}; {@code #} comments. As in llama.cpp, a rule ends at a
 * line break unless inside parentheses or right after {@code ::=} or {@code |}. The document matches {@code root}.
 */
public final class GbnfParser {
    private final String src;
    private int pos;
    private final Map<String, Expr> rules = new LinkedHashMap<>();

    private GbnfParser(String src) {
        this.src = src;
    }

    public static Grammar parse(String grammar) {
        GbnfParser p = new GbnfParser(grammar);
        p.parseRules();
        if (!p.rules.containsKey("root")) throw new GrammarException("grammar", "GBNF grammar has no 'root' rule");
        return new Grammar(p.rules, "root");
    }

    private GrammarException error(String what) {
        int line = 1, col = 1;
        for (int i = 0; i < pos && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else col++;
        }
        return new GrammarException("grammar", "GBNF grammar error at line " + line + ", column " + col + ": " + what);
    }

    private boolean more() {
        return pos < src.length();
    }

    private char peek() {
        return src.charAt(pos);
    }

    private void space(boolean newlines) {
        while (more()) {
            char c = peek();
            if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) pos++;
            else if (c == '#') {
                while (more() && peek() != '\n') pos++;
            } else return;
        }
    }

    private void parseRules() {
        space(true);
        while (more()) {
            String name = name();
            space(false);
            if (!src.startsWith("::=", pos)) throw error("expected '::=' after rule name '" + name + "'");
            pos += 3;
            space(true);
            Expr body = alternatives(false);
            if (rules.containsKey(name)) throw error("rule '" + name + "' is defined twice");
            rules.put(name, body);
            space(false);
            if (more() && peek() != '\n' && peek() != '\r') throw error("unexpected '" + peek() + "'");
            space(true);
        }
    }

    private static boolean wordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private String name() {
        int start = pos;
        while (more() && wordChar(peek())) pos++;
        if (start == pos) throw error(more() ? "expected a rule name, found '" + peek() + "'" : "expected a rule name");
        return src.substring(start, pos);
    }

    private Expr alternatives(boolean nested) {
        List<Expr> alts = new ArrayList<>();
        alts.add(sequence(nested));
        while (more() && peek() == '|') {
            pos++;
            space(true);
            alts.add(sequence(nested));
        }
        return Expr.alt(alts);
    }

    private Expr sequence(boolean nested) {
        List<Expr> items = new ArrayList<>();
        while (more()) {
            char c = peek();
            Expr item;
            if (c == '"') item = literal();
            else if (c == '[') item = charClass();
            else if (c == '.') {
                pos++;
                item = CodePoints.ANY.toUtf8();
            } else if (c == '(') {
                pos++;
                space(true);
                item = alternatives(true);
                space(true);
                if (!more() || peek() != ')') throw error("expected ')'");
                pos++;
            } else if (wordChar(c)) {
                int save = pos;
                String n = name();
                int after = pos;
                space(false);
                if (src.startsWith("::=", pos)) { // the next rule starts: this sequence ended at a line break
                    pos = save;
                    break;
                }
                pos = after;
                item = Expr.ref(n);
            } else if (c == '<') throw error("token references (<...>) are not supported");
            else break;
            items.add(repetitions(item));
            space(nested);
        }
        return Expr.seq(items);
    }

    private Expr repetitions(Expr item) {
        while (more()) {
            char c = peek();
            if (c == '*') item = Expr.star(item);
            else if (c == '+') item = Expr.plus(item);
            else if (c == '?') item = Expr.opt(item);
            else if (c == '{') {
                pos++;
                space(false);
                int min = digits(0);
                int max = min;
                space(false);
                if (more() && peek() == ',') {
                    pos++;
                    space(false);
                    max = more() && Character.isDigit(peek()) ? digits(0) : Expr.Repeat.UNBOUNDED;
                    space(false);
                }
                if (!more() || peek() != '}') throw error("expected '}'");
                if (max != Expr.Repeat.UNBOUNDED && max < min) throw error("{" + min + "," + max + "} has max below min");
                item = new Expr.Repeat(item, min, max);
            } else return item;
            pos++;
        }
        return item;
    }

    private int digits(int dflt) {
        int start = pos;
        while (more() && Character.isDigit(peek())) pos++;
        if (start == pos) return dflt;
        long v = Long.parseLong(src.substring(start, Math.min(pos, start + 12)));
        if (v > 100_000) throw error("a repetition count above 100000 is not supported");
        return (int) v;
    }

    private Expr literal() {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (!more() || peek() == '\n') throw error("unterminated string literal");
            char c = peek();
            if (c == '"') {
                pos++;
                break;
            }
            sb.appendCodePoint(c == '\\' ? escape() : nextCodePoint());
        }
        return Expr.literal(sb.toString());
    }

    private int nextCodePoint() {
        int cp = src.codePointAt(pos);
        pos += Character.charCount(cp);
        return cp;
    }

    private int escape() {
        pos++;
        if (!more()) throw error("unterminated escape");
        char c = src.charAt(pos++);
        return switch (c) {
            case 'x' -> hex(2);
            case 'u' -> hex(4);
            case 'U' -> hex(8);
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'n' -> '\n';
            case '\\', '"', '[', ']', '-', '^' -> c;
            default -> throw error("unknown escape '\\" + c + "'");
        };
    }

    private int hex(int n) {
        if (pos + n > src.length()) throw error("incomplete hex escape");
        try {
            int v = Integer.parseUnsignedInt(src.substring(pos, pos + n), 16);
            pos += n;
            if (v > CodePoints.MAX) throw error("code point out of range");
            return v;
        } catch (NumberFormatException e) {
            throw error("bad hex escape");
        }
    }

    private Expr charClass() {
        pos++;
        boolean negate = more() && peek() == '^';
        if (negate) pos++;
        CodePoints set = CodePoints.NONE;
        while (true) {
            if (!more()) throw error("unterminated character class");
            if (peek() == ']') {
                pos++;
                break;
            }
            int lo = peek() == '\\' ? escape() : nextCodePoint();
            int hi = lo;
            if (more() && peek() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']') {
                pos++;
                hi = peek() == '\\' ? escape() : nextCodePoint();
                if (hi < lo) throw error("character range out of order");
            }
            set = set.with(lo, hi);
        }
        if (negate) set = set.complement();
        if (set.isEmpty()) throw error("empty character class");
        return set.toUtf8();
    }
}
