package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * IPv4 (four octets 0–255, optional /prefix) and IPv6 (full, compressed {@code ::}, with an embedded
 * IPv4 tail, zone id, /prefix), validated by structure: MAC addresses (6 groups, no {@code ::}), times,
 * ratios, versions and {@code std::cout} are not addresses.
 */
public final class IpRecognizer implements Recognizer {
    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final String V4 = OCTET + "(?:\\." + OCTET + "){3}";
    private static final Pattern IPV4 = Pattern.compile("(?<![\\w.])" + V4 + "(?:/\\d{1,3})?(?![\\w]|\\.\\d)");
    private static final Pattern IPV6_CANDIDATE = Pattern.compile("(?<![\\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?:" + V4 + ")?(?:%[\\w]+)?(?:/\\d{1,4})?(?![\\w:]|\\.\\d)");

    @Override
    public String type() {
        return "IP_ADDRESS";
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        String s = t.text();
        int before = out.size();
        // Cheap scans first: the regexes try a look-behind at every char, and most texts hold no address.
        if (hasColonPair(s)) {
            Matcher m = IPV6_CANDIDATE.matcher(s);
            while (m.find()) {
                if (isIpv6(m.group())) out.add(Recognizer.finding(t, type(), m.start(), m.end(), 0.9, "ipv6"));
            }
        }
        if (hasDigitDotDigit(s)) {
            Matcher m = IPV4.matcher(s);
            while (m.find()) {
                if (m.start() >= 3 && (s.startsWith("://", m.start() - 3) || s.charAt(m.start() - 1) == '@')) continue; // a URL's host
                // After a colon only as a label's value ("IP:10.0.0.1", "addr:…"), not as an IPv6 address's tail.
                if (m.start() >= 1 && s.charAt(m.start() - 1) == ':' && (m.start() < 2 || !Character.isLetter(s.charAt(m.start() - 2)))) continue;
                int os = t.originalStart(m.start());
                boolean inside = false;
                for (int i = before; i < out.size(); i++) inside |= out.get(i).start() <= os && os < out.get(i).end();
                if (!inside) out.add(Recognizer.finding(t, type(), m.start(), m.end(), 0.9, "ipv4"));
            }
        }
    }

    /** A digit, a dot and a digit side by side: in every IPv4 address. */
    static boolean hasDigitDotDigit(String s) {
        for (int i = s.indexOf('.'); i >= 0 && i + 1 < s.length(); i = s.indexOf('.', i + 1)) {
            if (i > 0 && isDigit(s.charAt(i - 1)) && isDigit(s.charAt(i + 1))) return true;
        }
        return false;
    }

    /** Two colons with at most four hex digits between them: in every IPv6 address ("::1", "fe80::", "2001:db8:…"). */
    static boolean hasColonPair(String s) {
        for (int i = s.indexOf(':'); i >= 0; i = s.indexOf(':', i + 1)) {
            int j = i + 1;
            while (j < s.length() && j - i <= 4 && Character.digit(s.charAt(j), 16) >= 0 && s.charAt(j) < 128) j++;
            if (j < s.length() && s.charAt(j) == ':') return true;
        }
        return false;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean isIpv6(String c) {
        String a = c;
        int slash = a.indexOf('/');
        if (slash >= 0) a = a.substring(0, slash);
        int pct = a.indexOf('%');
        if (pct >= 0) a = a.substring(0, pct);
        int groupsAllowed = 8;
        int lastColon = a.lastIndexOf(':');
        if (a.indexOf('.') >= 0) {
            if (!a.substring(lastColon + 1).matches(V4)) return false;
            a = a.substring(0, lastColon + 1) + "0:0"; // the IPv4 tail stands for two groups
        }
        int dbl = a.indexOf("::");
        if (dbl < 0) return hexGroups(a) == groupsAllowed;
        if (a.indexOf("::", dbl + 1) >= 0) return false;
        int left = dbl == 0 ? 0 : hexGroups(a.substring(0, dbl));
        int right = dbl + 2 == a.length() ? 0 : hexGroups(a.substring(dbl + 2));
        // "::" stands for at least one zero group; a bare "::" is punctuation, not an address.
        return left >= 0 && right >= 0 && left + right >= 1 && left + right < groupsAllowed;
    }

    /** Number of ':'-separated groups of 1-4 hex digits, or -1 if any group is empty or not hex. */
    private static int hexGroups(String s) {
        String[] parts = s.split(":", -1);
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 4) return -1;
            for (int i = 0; i < p.length(); i++) if (Character.digit(p.charAt(i), 16) < 0) return -1;
        }
        return parts.length;
    }
}
