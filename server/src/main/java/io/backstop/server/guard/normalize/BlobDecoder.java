package io.backstop.server.guard.normalize;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds base64 and hex blobs in a text and decodes those that hold readable UTF-8 text, so an
 * instruction hidden as {@code aWdub3JlIGFsbCBwcmV2aW91cy4uLg==} is inspected too. A blob is a run of
 * at least {@value #MIN_CHARS} base64/hex chars (one pass over the text, no regex). Bounded: at most
 * {@link #MAX_BLOBS} blobs of at most {@link #MAX_BLOB_CHARS} chars each are decoded per text.
 */
public final class BlobDecoder {
    public static final int MAX_BLOBS = 8;
    public static final int MAX_BLOB_CHARS = 16 * 1024;
    static final int MIN_CHARS = 16;

    /** A decoded blob: where it sits in the text it was found in, and the text it decodes to. */
    public record Blob(int start, int end, String decoded) {}

    private BlobDecoder() {}

    public static List<Blob> decode(String text) {
        List<Blob> out = new ArrayList<>(0);
        int n = text.length();
        int i = 0;
        while (i < n && out.size() < MAX_BLOBS) {
            if (!isBlobChar(text.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && isBlobChar(text.charAt(i))) i++;
            int end = i;
            if (end - start < MIN_CHARS || end - start > MAX_BLOB_CHARS) continue;
            String run = text.substring(start, end);
            if (run.startsWith("0x")) run = run.substring(2);
            String s = isHex(run) ? hex(run) : base64(run);
            if (s != null) out.add(new Blob(start, end, s));
        }
        return out;
    }

    private static boolean isBlobChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
    }

    private static boolean isHex(String s) {
        if ((s.length() & 1) != 0) return false;
        for (int i = 0; i < s.length(); i++) if (Character.digit(s.charAt(i), 16) < 0) return false;
        return true;
    }

    private static String hex(String s) {
        return readable(HexFormat.of().parseHex(s));
    }

    private static String base64(String b) {
        if (!mixed(b)) return null;
        String body = b.replace("=", "");
        try {
            boolean url = body.indexOf('-') >= 0 || body.indexOf('_') >= 0;
            return readable((url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(body));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Base64 of text mixes cases or digits; a long word ("internationalization") is not a blob. */
    private static boolean mixed(String b) {
        boolean upper = false, lower = false, digit = false;
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
        }
        return upper && lower || (digit && (upper || lower));
    }

    /** The bytes as text when they are valid UTF-8 and mostly letters (so random keys are not "text"). */
    static String readable(byte[] bytes) {
        if (bytes.length < 8) return null;
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        int printable = 0, letters = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') printable++;
            if (Character.isLetter(c) || c == ' ') letters++;
        }
        return printable == s.length() && letters * 10 >= s.length() * 7 ? s : null;
    }
}
