package io.backstop.server.guard.pii;

import java.util.Locale;
import java.util.regex.Pattern;

/** Context words around a candidate (Presidio's idea: "phone: 467 3395" is a phone, "3911 Fourth Avenue" is not). */
final class Context {
    private Context() {}

    /** True when {@code words} matches within {@code before} chars before {@code start} or {@code after} chars after {@code end}. */
    static boolean near(String text, int start, int end, Pattern words, int before, int after) {
        String b = text.substring(Math.max(0, start - before), start).toLowerCase(Locale.ROOT);
        if (words.matcher(b).find()) return true;
        if (after <= 0) return false;
        String a = text.substring(end, Math.min(text.length(), end + after)).toLowerCase(Locale.ROOT);
        return words.matcher(a).find();
    }

    static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
