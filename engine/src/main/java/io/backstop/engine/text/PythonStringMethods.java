package io.backstop.engine.text;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's string methods on template strings ({@code content.startswith('<tool_response>')},
 * {@code content.split('</think>')[-1].lstrip('\n')}): Hugging Face templates are Jinja2 over Python
 * values, Jinjava calls Java methods. Only these names are handled; anything else falls through to
 * Jinjava's own resolver.
 */
final class PythonStringMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result = switch (method.toString()) {
            case "startswith" -> p.length == 1 ? anyMatch(p[0], s::startsWith) : null;
            case "endswith" -> p.length == 1 ? anyMatch(p[0], s::endsWith) : null;
            case "strip" -> p.length <= 1 ? stripEnd(stripStart(s, arg(p)), arg(p)) : null;
            case "lstrip" -> p.length <= 1 ? stripStart(s, arg(p)) : null;
            case "rstrip" -> p.length <= 1 ? stripEnd(s, arg(p)) : null;
            case "split" -> p.length <= 2 ? split(s, arg(p), p.length == 2 && p[1] instanceof Number n ? n.intValue() : -1) : null;
            case "upper" -> p.length == 0 ? s.toUpperCase(java.util.Locale.ROOT) : null;
            case "lower" -> p.length == 0 ? s.toLowerCase(java.util.Locale.ROOT) : null;
            case "replace" -> p.length == 2 ? s.replace(String.valueOf(p[0]), String.valueOf(p[1])) : null;
            default -> null;
        };
        if (result != null) context.setPropertyResolved(true);
        return result;
    }

    private static String arg(Object[] p) {
        return p.length == 0 || p[0] == null ? null : p[0].toString();
    }

    /** A prefix/suffix, or a tuple (list) of them as Python allows. */
    private static Boolean anyMatch(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof Collection<?> c) {
            for (Object x : c) if (test.test(String.valueOf(x))) return true;
            return false;
        }
        return test.test(String.valueOf(arg));
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static String stripStart(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    private static String stripEnd(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) j--;
        return s.substring(0, j);
    }

    /** Python's split: on runs of whitespace without a separator (no empty parts), else on each separator. */
    private static List<String> split(String s, String sep, int max) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            for (String part : s.strip().split("\\s+", max < 0 ? 0 : max + 1)) if (!part.isEmpty()) out.add(part);
            return out;
        }
        if (sep.isEmpty()) return null; // Python raises; let Jinjava report it
        int from = 0, at;
        while ((max < 0 || out.size() < max) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
