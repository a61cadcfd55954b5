package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * IBANs (ISO 13616): a country code, two check digits and the BBAN — compact, or in groups separated
 * by a space or dash — with the country's exact length, digits where the country's BBAN has only
 * digits, and the mod-97 check. Case is ignored ("gb82 west …" is an IBAN typed in lower case).
 */
public final class IbanRecognizer implements Recognizer {
    private static final Pattern START = Pattern.compile("(?<![\\p{L}\\p{N}])[A-Za-z]{2}\\d{2}(?=[ -]?[A-Za-z0-9])");
    /** Country → IBAN length. */
    private static final Map<String, Integer> LENGTH = new HashMap<>();
    /** Countries whose BBAN is all digits (a letter there makes the IBAN invalid). */
    private static final String NUMERIC_BBAN = "AT BA BE CZ DE DK EE ES FI FO GL HR HU IL IS LT ME NO PL PT RS SE SI SK TN";

    static {
        String table = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29"
                + " ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32"
                + " LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24"
                + " RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30"
                // Countries with IBAN-like account numbers outside the official registry (Presidio accepts them too).
                + " AO25 BF28 BJ28 CI28 CM27 CV25 DZ26 IR26 MG27 ML28 MZ25 SN28 GA27 GQ27 CG27 CF27 TD27 KM27 GW25 NE28 TG28 HN28 MA28";
        for (String e : table.split(" ")) LENGTH.put(e.substring(0, 2), Integer.parseInt(e.substring(2)));
    }

    @Override
    public String type() {
        return "IBAN";
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        String s = t.text();
        Matcher m = START.matcher(s).useTransparentBounds(true).useAnchoringBounds(false);
        int from = 0;
        // Candidates start with two letters and two digits: find those by hand, then confirm with the regex.
        for (int i = s.length() - 4; from <= i; ) {
            int k = from;
            while (k <= i && !(Character.isDigit(s.charAt(k + 2)) && Character.isDigit(s.charAt(k + 3)) && isAsciiLetter(s.charAt(k)) && isAsciiLetter(s.charAt(k + 1)))) k++;
            if (k > i) break;
            from = k + 1;
            m.region(k, s.length());
            if (!m.lookingAt()) continue;
            String country = s.substring(m.start(), m.start() + 2).toUpperCase(Locale.ROOT);
            Integer len = LENGTH.get(country);
            if (len == null) continue;
            int end = collect(s, m.start(), len);
            if (end < 0) continue;
            String raw = s.substring(m.start(), end).replaceAll("[ -]", "");
            if (!raw.equals(raw.toUpperCase(Locale.ROOT)) && !raw.equals(raw.toLowerCase(Locale.ROOT))) continue; // "LV80 bANK…": mixed case is not a typed IBAN
            String compact = raw.toUpperCase(Locale.ROOT);
            if (NUMERIC_BBAN.contains(country) && !compact.substring(4).chars().allMatch(Character::isDigit)) continue;
            if (!compact.substring(4).chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) continue;
            if (mod97(compact) != 1) continue;
            out.add(Recognizer.finding(t, type(), m.start(), end, 0.95, "iban"));
            from = end;
        }
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    /**
     * End of an IBAN of {@code len} alphanumerics starting at {@code start}, skipping single separators
     * between groups; -1 unless it ends at a word boundary (so a longer number is not cut to size).
     */
    static int collect(String s, int start, int len) {
        int count = 0, i = start;
        char sep = 0;
        while (i < s.length() && count < len) {
            char c = s.charAt(i);
            if (Character.isLetterOrDigit(c) && c < 0x80) {
                count++;
                i++;
            } else if ((c == ' ' || c == '-') && count >= 4 && i + 1 < s.length() && Character.isLetterOrDigit(s.charAt(i + 1))) {
                if (sep != 0 && sep != c) return -1;
                sep = c;
                i++;
            } else return -1;
        }
        if (count < len) return -1;
        if (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) return -1;
        return i;
    }

    /** ISO 7064 mod 97-10 of an IBAN (check digits included): 1 for a valid IBAN. */
    public static int mod97(String iban) {
        String r = iban.substring(4) + iban.substring(0, 4);
        int mod = 0;
        for (int i = 0; i < r.length(); i++) {
            char c = r.charAt(i);
            int v = Character.isDigit(c) ? c - '0' : c - 'A' + 10;
            mod = v >= 10 ? (mod * 100 + v) % 97 : (mod * 10 + v) % 97;
        }
        return mod;
    }
}
