package io.backstop.server.guard.secret;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Values that stand for a secret without being one: {@code xxxx…}, {@code <TOKEN>}, {@code ${VAR}},
 * {@code $API_KEY}, {@code %API_KEY%}, {@code {{ .Values.x }}}, {@code %s}, {@code $(cat file)}, "your_api_key_here".
 * Secret rules never report these (as gitleaks' and detect-secrets' allow-lists do).
 */
public final class Placeholders {
    private static final Pattern REFERENCE = Pattern.compile(
            "^\\$\\{?[A-Za-z_][\\w.]*\\}?$|^%[A-Za-z_][\\w.]*%$|\\$\\{|\\$\\(|\\{\\{|<[^>]*>|%s|%\\(|^\\{[A-Za-z_]\\w*\\}$|^\\[[^\\]]*\\]$|\\.\\.\\.|\\[redacted\\]", Pattern.CASE_INSENSITIVE);
    private static final Pattern WORDS = Pattern.compile(
            "your[_-]?(?:api[_-]?)?(?:key|token|secret|password)|insert[_-]|[_-]here$|^(?:changeme|password|passwd|secret|token|example|sample|dummy|placeholder|redacted|null|none|undefined|true|false|test|username|user|pass)$|fake|^my[_-]");

    private Placeholders() {}

    public static boolean isPlaceholder(String value) {
        if (value.isEmpty()) return true;
        if (REFERENCE.matcher(value).find() && !bracedKey(value)) return true;
        String lower = value.toLowerCase(Locale.ROOT);
        if (WORDS.matcher(lower).find()) return true;
        return masked(value);
    }

    /** "{ZqL5kVrX1n8tA2}": a key in braces (curl -u "{id}":"{key}"), not a "{name}" template field: 12+ chars mixing cases and digits. */
    static boolean bracedKey(String v) {
        if (v.length() < 14 || v.charAt(0) != '{' || v.charAt(v.length() - 1) != '}') return false;
        String inner = v.substring(1, v.length() - 1);
        return inner.chars().allMatch(Character::isLetterOrDigit) && inner.chars().anyMatch(Character::isDigit)
                && inner.chars().anyMatch(Character::isUpperCase) && inner.chars().anyMatch(Character::isLowerCase);
    }

    /** Masked ("ghp_xxxxxxxx", "AKCpXXXXXXXX", "****") or one char repeated at length ("aaaaaaaaaaaaaaaaaaaa"). */
    static boolean masked(String v) {
        int maskRun = 0, longestMask = 0, run = 0, longest = 0, maskChars = 0;
        char prev = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean mask = c == 'x' || c == 'X' || c == '*' || c == '•' || c == '#' || c == '~' || c == '0';
            if (mask && c != '0') maskChars++;
            maskRun = mask && c == prev ? maskRun + 1 : mask ? 1 : 0;
            run = c == prev ? run + 1 : 1;
            longestMask = Math.max(longestMask, maskRun);
            longest = Math.max(longest, run);
            prev = c;
        }
        return longestMask >= 6 || longest >= 16 || maskChars * 2 >= v.length();
    }
}
