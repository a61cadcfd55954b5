package io.backstop.engine.text;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code tojson} as transformers defines it for chat templates — Python's {@code json.dumps} with
 * {@code ensure_ascii=False}: {@code ", "} and {@code ": "} separators, {@code indent=N} for pretty
 * output, {@code sort_keys}. Models were trained on that spelling of their tools and arguments, so
 * Jinjava's compact JSON would be a prompt they have not seen.
 */
final class PythonJsonFilter implements AdvancedFilter {
    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indentArg = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
        int indent = indentArg instanceof Number n ? n.intValue() : indentArg == null ? -1 : parseOr(indentArg.toString());
        boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
        StringBuilder sb = new StringBuilder();
        write(sb, var, indent, sortKeys, 0);
        return sb.toString();
    }

    private static int parseOr(String s) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Python's json.dumps of a value; {@code indent} < 0 for one line. */
    static String dumps(Object value, int indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, false, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int indent, boolean sortKeys, int level) {
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b ? "true" : "false");
            case Double d -> sb.append(pyFloat(d));
            case Float f -> sb.append(pyFloat(f.doubleValue()));
            case BigDecimal d -> sb.append(pyFloat(d.doubleValue()));
            case Number n -> sb.append(n);
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                Map<?, ?> entries = sortKeys ? new TreeMap<>(m) : m;
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : entries.entrySet()) {
                    separator(sb, first, indent, level + 1);
                    first = false;
                    string(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), indent, sortKeys, level + 1);
                }
                close(sb, indent, level);
                sb.append('}');
            }
            case Collection<?> c -> {
                if (c.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                boolean first = true;
                for (Object x : c) {
                    separator(sb, first, indent, level + 1);
                    first = false;
                    write(sb, x, indent, sortKeys, level + 1);
                }
                close(sb, indent, level);
                sb.append(']');
            }
            default -> string(sb, v.toString());
        }
    }

    private static void separator(StringBuilder sb, boolean first, int indent, int level) {
        if (!first) sb.append(indent < 0 ? ", " : ",");
        if (indent >= 0) sb.append('\n').append(" ".repeat(indent * level));
    }

    private static void close(StringBuilder sb, int indent, int level) {
        if (indent >= 0) sb.append('\n').append(" ".repeat(indent * level));
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /** Python's repr of a float: shortest digits, exponent form below 1e-4 and from 1e16 ("1e+20", "1e-05"). */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = b.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - b.scale(); // d = 0.digits × 10^(exponent+1)
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
        }
        String plain = b.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }
}
