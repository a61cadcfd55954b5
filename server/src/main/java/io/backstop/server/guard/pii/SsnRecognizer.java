package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * US Social Security numbers: AAA-GG-SSSS with the same separator (dash, dot or space) in both places,
 * or AAA-GGSSSS; never area 000, 666 or 900–999, group 00 or serial 0000, nor all one digit. A bare
 * nine-digit number counts only next to words like "SSN" or "social security" (otherwise it is any number).
 */
public final class SsnRecognizer implements Recognizer {
    private static final Pattern SSN = Pattern.compile("(?<![\\w.-])(\\d{3})(?:([- .])(\\d{2})\\2(\\d{4})|-(\\d{2})(\\d{4})|(\\d{2})(\\d{4}))(?![\\w-]|\\.\\d)");
    private static final Pattern CONTEXT = Pattern.compile("\\bssns?\\b|social\\s+security|\\bss#|\\bsocial\\b");

    @Override
    public String type() {
        return "US_SSN";
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        String s = t.text();
        Recognizer.fromNumberStarts(s, SSN.matcher(s), m -> {
            String area = m.group(1);
            String group = m.group(3) != null ? m.group(3) : m.group(5) != null ? m.group(5) : m.group(7);
            String serial = m.group(4) != null ? m.group(4) : m.group(6) != null ? m.group(6) : m.group(8);
            if (!valid(area, group, serial)) return;
            boolean bare = m.group(7) != null;
            boolean context = Context.near(s, m.start(), m.end(), CONTEXT, 40, 0);
            if ((bare || m.group(5) != null) && !context) return;
            out.add(Recognizer.finding(t, type(), m.start(), m.end(), context ? 0.95 : 0.7, "us-ssn"));
        });
    }

    public static boolean valid(String area, String group, String serial) {
        int a = Integer.parseInt(area);
        if (a == 0 || a == 666 || a >= 900) return false;
        if (group.equals("00") || serial.equals("0000")) return false;
        String all = area + group + serial;
        return !all.chars().allMatch(c -> c == all.charAt(0));
    }
}
