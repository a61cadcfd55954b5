package io.backstop.server.guard.normalize;

import java.text.Normalizer;

/**
 * The one normalisation every detector sees: Unicode NFKC (full-width and other compatibility forms),
 * zero-width and bidi control characters removed, Cyrillic/Greek look-alikes folded to Latin. Case
 * is kept (secrets are case-sensitive); detectors lower-case when they need to. Each output char keeps
 * the span of the original it came from (see {@link NormalizedText}).
 *
 * <p>NFKC is applied per code point: exact for precomposed text (what keyboards produce); a decomposed
 * base + combining mark pair stays two chars, which no detector here depends on.
 */
public final class TextNormalizer {
    private TextNormalizer() {}

    public static NormalizedText normalize(String s) {
        if (isPlain(s)) return NormalizedText.identity(s);
        int n = s.length();
        StringBuilder out = new StringBuilder(n);
        int[] start = new int[n + 8];
        int[] end = new int[n + 8];
        int i = 0;
        while (i < n) {
            int cp = s.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (!isInvisible(cp)) {
                int filled = out.length();
                if (cp < 0x80) {
                    out.append((char) cp);
                } else {
                    int folded = Homoglyphs.fold(cp);
                    if (folded != cp) out.append((char) folded);
                    else {
                        String k = Normalizer.normalize(s.substring(i, next), Normalizer.Form.NFKC);
                        for (int j = 0; j < k.length(); ) {
                            int c = k.codePointAt(j);
                            j += Character.charCount(c);
                            if (isInvisible(c)) continue;
                            out.appendCodePoint(Homoglyphs.fold(c));
                        }
                    }
                }
                while (start.length < out.length()) {
                    start = java.util.Arrays.copyOf(start, start.length * 2);
                    end = java.util.Arrays.copyOf(end, end.length * 2);
                }
                for (int k = filled; k < out.length(); k++) {
                    start[k] = i;
                    end[k] = next;
                }
            }
            i = next;
        }
        return new NormalizedText(s, out.toString(), start, end);
    }

    /** True when nothing would change: printable ASCII, tabs and newlines only (the common case, no copy). */
    static boolean isPlain(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) return false;
        }
        return true;
    }

    /**
     * Zero-width, bidi controls and other format characters (category Cf: ZWSP, ZWJ, ZWNJ, LRM/RLM,
     * LRE…PDF, LRI…PDI, BOM, soft hyphen, word joiner), plus ASCII control characters other than white space.
     */
    static boolean isInvisible(int cp) {
        if (cp < 0x20) return cp != '\n' && cp != '\r' && cp != '\t';
        if (cp < 0x7f) return false;
        if (cp == 0x7f) return true;
        return Character.getType(cp) == Character.FORMAT || (cp >= 0x180B && cp <= 0x180F) || (cp >= 0xFE00 && cp <= 0xFE0F);
    }
}
