package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Payment card numbers: 12–19 digits, plain or in groups separated by one space or dash, that pass
 * the Luhn check AND start with a known issuer prefix for their length (Visa, Mastercard, Amex,
 * Discover, Diners, JCB, Maestro incl. 12-digit, UnionPay, RuPay, Mir, Troy, Verve).
 */
public final class CreditCardRecognizer implements Recognizer {
    private static final Pattern CANDIDATE = Pattern.compile("(?<![\\w.+-])\\d(?:[ -]?\\d){11,18}(?![\\w+]|[.-]\\d)");

    @Override
    public String type() {
        return "CREDIT_CARD";
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        Recognizer.fromNumberStarts(t.text(), CANDIDATE.matcher(t.text()), m -> {
            String g = m.group();
            if (!consistentSeparators(g)) return;
            String digits = g.replaceAll("[ -]", "");
            if (luhn(digits) && issuer(digits)) out.add(Recognizer.finding(t, type(), m.start(), m.end(), 0.95, "credit-card"));
        });
    }

    /** "4111 1111 1111 1111" or "4111-1111-…" but not a mix of spaces and dashes. */
    private static boolean consistentSeparators(String g) {
        return !(g.indexOf(' ') >= 0 && g.indexOf('-') >= 0);
    }

    public static boolean luhn(String digits) {
        int sum = 0;
        boolean dbl = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (dbl) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }

    /** True when the number starts with a prefix an issuer uses for numbers of this length. */
    public static boolean issuer(String d) {
        int n = d.length();
        int p2 = Integer.parseInt(d.substring(0, 2));
        int p3 = Integer.parseInt(d.substring(0, 3));
        int p4 = Integer.parseInt(d.substring(0, 4));
        int p6 = Integer.parseInt(d.substring(0, 6));
        char c = d.charAt(0);
        if (c == '4') return n == 13 || n == 16 || n == 19;                                  // Visa
        if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;            // Mastercard
        if (p2 == 34 || p2 == 37) return n == 15;                                             // Amex
        if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19; // Discover
        if ((p3 >= 300 && p3 <= 305) || p3 == 309 || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14 && n <= 19; // Diners
        if (p2 == 35) return n >= 16 && n <= 19;                                              // JCB (3528-3589, and test generators' 35xx)
        if (p4 == 2131 || p4 == 1800) return n == 15;                                         // JCB (old 15-digit)
        if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19;                              // Mir
        if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19;                   // Maestro, UnionPay (62), RuPay (60), Troy (65/9792)
        if (p4 == 9792) return n == 16;                                                       // Troy
        if (p4 == 604 || p4 == 6390) return n >= 12 && n <= 19;                              // Maestro 0604 (as in Faker's data)
        return false;
    }
}
