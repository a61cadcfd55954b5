package io.backstop.server.guard.pii;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import io.backstop.server.guard.normalize.NormalizedText;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Phone numbers in international ({@code +44 20 7123 4567}, {@code 0044…}) and national formats of
 * about a dozen countries. Candidates are digit groups of 7–15 digits; libphonenumber decides: an
 * international number must be a possible number of its country; a national one must be valid for one
 * of {@link #REGIONS}, or sit next to a context word ("phone", "call me at", "fax", …), since bare digit
 * groups are just as often street numbers, dates or amounts.
 */
public final class PhoneRecognizer implements Recognizer {
    static final List<String> REGIONS = List.of("US", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "IL", "IN", "JP", "CN", "BR", "AU", "CA");
    private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
    private static final Pattern CANDIDATE = Pattern.compile(
            "(?<![\\w+/.-])(?:\\+|00)?\\(?\\d[\\d ().\\-/]{4,22}\\d(?:\\s?(?:x|ext\\.?)\\s?\\d{1,5})?(?![\\w/]|[.:-]\\d)");
    private static final Pattern SSN_OR_IP_SHAPE = Pattern.compile("\\d{3}[-. ]\\d{2}[-. ]\\d{4}|\\d{1,3}(?:\\.\\d{1,3}){2,3}");
    /** A neighbouring group that mixes letters and digits ("AT61 1904 A002 …"): the digits belong to an IBAN or code. */
    private static final Pattern ALNUM_GROUP = Pattern.compile("(?=[A-Za-z]*\\d)(?=\\d*[A-Za-z])[A-Za-z0-9]{2,6}");
    /** An IBAN-shaped run of groups ends right before the candidate ("ES91 2100 0418 …" with a wrong check digit). */
    private static final Pattern IBAN_PREFIX = Pattern.compile("(?<![A-Za-z0-9])[A-Za-z]{2}\\d{2}(?:[ -][A-Za-z0-9]{1,5}){0,6}[ -]$");
    private static final Pattern FOLLOWED_BY_WORD = Pattern.compile("[ \\t]+\\p{L}{2,}");
    private static final Pattern DATE = Pattern.compile("\\d{4}[-./]\\d{1,2}[-./]\\d{1,2}|\\d{1,2}[-./]\\d{1,2}[-./]\\d{2,4}");
    private static final Pattern CONTEXT = Pattern.compile(
            "phone|\\btel\\b|telephone|\\bcall\\b|mobile|\\bcell\\b|\\bfax\\b|\\bdesk\\b|\\boffice\\b|number|\\bmessages?\\b|answering|\\breach\\b"
                    + "|contact|whatsapp|\\bsms\\b|\\btext\\b|\\bdial\\b|registered|telefon|handy|nummer|numéro|\\bring\\b");
    private static final Pattern NOT_PHONE_CONTEXT = Pattern.compile("licen[cs]e|passport|account|card|\\bssn|social\\s+security|\\biban\\b|order\\s+(?:no|number|#)|zip|postal|invoice");

    @Override
    public String type() {
        return "PHONE";
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        String s = t.text();
        Recognizer.fromNumberStarts(s, CANDIDATE.matcher(s), m -> {
            String c = m.group().strip();
            int start = m.start();
            if (digits(c) <= 15) {
                candidate(t, s, c, start, out);
                return;
            }
            // Several numbers in a row ("052 5552606 074-7111234"): the longest phone from each group on.
            String[] parts = c.split(" ");
            int i = 0, offset = 0;
            while (i < parts.length) {
                int taken = 0;
                for (int j = parts.length; j > i && taken == 0; j--) {
                    String sub = String.join(" ", java.util.Arrays.asList(parts).subList(i, j));
                    if (digits(sub) <= 15 && candidate(t, s, sub, start + offset, out)) taken = j - i;
                }
                for (int k = 0; k < Math.max(1, taken); k++) offset += parts[i + k].length() + 1;
                i += Math.max(1, taken);
            }
        });
    }

    private boolean candidate(NormalizedText t, String s, String c, int start, List<Finding> out) {
        int end = start + c.length();
        int digits = digits(c);
        if (digits < 7 || DATE.matcher(c).matches() || SSN_OR_IP_SHAPE.matcher(c).matches() || !balanced(c)) return false;
        if (alnumNeighbour(s, start, end) || IBAN_PREFIX.matcher(s.substring(Math.max(0, start - 40), start)).find()) return false;
        boolean context = Context.near(s, start, end, CONTEXT, 48, 12);
        if (Context.near(s, start, end, NOT_PHONE_CONTEXT, 32, 0)) return false;
        // Without a context word, a short digit group, or one followed by a word ("13813 3784 Archwood
        // Avenue"), is more often a street number or a code than a phone.
        boolean international = c.startsWith("+") || c.startsWith("00");
        if (!context && (digits < 9 || !international && FOLLOWED_BY_WORD.matcher(s).region(end, s.length()).lookingAt())) return false;
        double score = score(c, context);
        if (score <= 0) return false;
        out.add(Recognizer.finding(t, type(), start, end, score, "phone"));
        return true;
    }

    private static int digits(String c) {
        int n = 0;
        for (int i = 0; i < c.length(); i++) if (Character.isDigit(c.charAt(i))) n++;
        return n;
    }

    private static boolean alnumNeighbour(String s, int start, int end) {
        int b = start - 1;
        while (b >= 0 && s.charAt(b) == ' ') b--;
        int bs = b;
        while (bs >= 0 && Character.isLetterOrDigit(s.charAt(bs))) bs--;
        if (b >= 0 && start - b <= 2 && ALNUM_GROUP.matcher(s.substring(bs + 1, b + 1)).matches()) return true;
        int a = end;
        while (a < s.length() && s.charAt(a) == ' ') a++;
        int ae = a;
        while (ae < s.length() && Character.isLetterOrDigit(s.charAt(ae))) ae++;
        return a - end <= 1 && a > end && ALNUM_GROUP.matcher(s.substring(a, ae)).matches();
    }

    static double score(String c, boolean context) {
        String digitsOnly = c.replaceAll("[^\\d+]", "");
        boolean international = c.startsWith("+") || c.startsWith("00");
        if (international) {
            String e164 = c.startsWith("00") ? "+" + digitsOnly.substring(2) : digitsOnly;
            try {
                Phonenumber.PhoneNumber n = UTIL.parse(e164, "ZZ");
                if (UTIL.isValidNumber(n)) return 0.9;
                if (UTIL.isPossibleNumber(n)) return context ? 0.8 : 0.6;
            } catch (NumberParseException e) {
                return 0;
            }
            return 0;
        }
        boolean grouped = c.matches(".*[ ().\\-].*");
        for (String region : REGIONS) {
            try {
                Phonenumber.PhoneNumber n = UTIL.parse(c, region);
                if (UTIL.isValidNumber(n) && (grouped || context)) return context ? 0.85 : 0.6;
            } catch (NumberParseException e) {
                // not a number for this region
            }
        }
        return context && grouped ? 0.6 : context ? 0.5 : 0;
    }

    private static boolean balanced(String c) {
        int open = 0;
        for (int i = 0; i < c.length(); i++) {
            if (c.charAt(i) == '(') open++;
            else if (c.charAt(i) == ')' && --open < 0) return false;
        }
        return open == 0;
    }
}
