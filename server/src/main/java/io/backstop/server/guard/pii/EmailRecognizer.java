package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** E-mail addresses: RFC 5322 "dot-atom" local part, a host with a real top-level domain (letters or an IDN {@code xn--} label). */
public final class EmailRecognizer implements Recognizer {
    private static final Pattern EMAIL = Pattern.compile(
            "(?<![\\w.+-])[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\\.[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]+)*"
                    + "@(?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.)+(?:\\p{L}{2,24}|xn--[a-z0-9-]{2,59})(?![\\w-])");

    @Override
    public String type() {
        return "EMAIL";
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        String s = t.text();
        if (s.indexOf('@') < 0) return;
        Matcher m = EMAIL.matcher(s).useTransparentBounds(true).useAnchoringBounds(false);
        int from = 0;
        // Only around each '@': the local part is at most 64 chars, the domain at most 255.
        for (int at = s.indexOf('@'); at >= 0; at = s.indexOf('@', at + 1)) {
            m.region(Math.max(from, at - 64), Math.min(s.length(), at + 256));
            if (m.find() && m.start() < at && m.end() > at) {
                out.add(Recognizer.finding(t, type(), m.start(), m.end(), 0.9, "email"));
                from = m.end();
            }
        }
    }
}
