package io.backstop.engine.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the few Jinja2 forms of Hugging Face chat templates that Jinjava parses differently, into
 * equivalent forms it reads as Jinja2 does (found on the Qwen3 and Llama 3.1 templates):
 * <ul>
 *   <li>{@code x[::-1]} (step slicing) → {@code (x|reverse)};</li>
 *   <li>{@code namespace(a=messages|length - 1)}: Jinjava ends a keyword argument at the filter →
 *       {@code namespace(a=(messages|length - 1))};</li>
 *   <li>{@code if not a|length == 1}: Jinjava binds {@code not} tighter than the comparison →
 *       {@code if not (a|length == 1)}.</li>
 * </ul>
 */
final class JinjaCompat {
    private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][\\w.]*)\\[::-1\\]");
    private static final Pattern NAMESPACE = Pattern.compile("namespace\\(([^()]*)\\)");
    private static final Pattern NOT_COMPARISON = Pattern.compile(
            "(\\{%-?\\s*(?:if|elif)\\s+)not\\s+(?!\\()((?:(?!%\\}|-%\\}| and | or ).)*?(?:==|!=|<=|>=| < | > | in )(?:(?!%\\}|-%\\}| and | or ).)*?)(\\s*-?%\\})");

    private JinjaCompat() {}

    static String rewrite(String source) {
        String s = REVERSED.matcher(source).replaceAll("($1|reverse)");
        s = replace(NAMESPACE, s, m -> "namespace(" + keywordsParenthesised(m.group(1)) + ")");
        s = NOT_COMPARISON.matcher(s).replaceAll("$1not ($2)$3");
        return s;
    }

    private static String keywordsParenthesised(String args) {
        StringBuilder out = new StringBuilder();
        for (String arg : args.split(",")) {
            if (!out.isEmpty()) out.append(',');
            int eq = arg.indexOf('=');
            if (eq > 0 && arg.charAt(eq + 1) != '=' && arg.substring(0, eq).trim().matches("\\w+")) {
                out.append(arg, 0, eq + 1).append('(').append(arg.substring(eq + 1).trim()).append(')');
            } else {
                out.append(arg);
            }
        }
        return out.toString();
    }

    private static String replace(Pattern p, String s, java.util.function.Function<Matcher, String> f) {
        Matcher m = p.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(f.apply(m)));
        m.appendTail(sb);
        return sb.toString();
    }
}
