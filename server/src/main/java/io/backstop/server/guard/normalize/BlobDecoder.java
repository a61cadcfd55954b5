package io.backstop.server.guard.normalize;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds base64 and hex blobs in a text and decodes those that hold readable UTF-8 text, so an
 * instruction hidden as {@code aWdub3JlIGFsbCBwcmV2aW91cy4uLg==} is inspected too. Bounded: at most
 * {@link #MAX_BLOBS} blobs of at most {@link #MAX_BLOB_CHARS} chars each are decoded per text.
 */
public final class BlobDecoder {
    public static final int MAX_BLOBS = 8;
    public static final int MAX_BLOB_CHARS = 16 * 1024;
    private static final int MIN_BASE64 = 16;
    private static final int MIN_HEX = 16;
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/_-]{" + MIN_BASE64 + ",}={0,2}");
    private static final Pattern HEX = Pattern.compile("(?:0x)?((?:[0-9a-fA-F]{2}[\\s:]?){" + MIN_HEX / 2 + ",})");

    /** A decoded blob: where it sits in the text it was found in, and the text it decodes to. */
    public record Blob(int start, int end, String decoded) {}

    private BlobDecoder() {}

    public static List<Blob> decode(String text) {
        List<Blob> out = new ArrayList<>(2);
        Matcher m = BASE64.matcher(text);
        while (m.find() && out.size() < MAX_BLOBS) {
            String b = m.group();
            if (b.length() > MAX_BLOB_CHARS || !mixed(b)) continue;
            byte[] bytes;
            try {
                bytes = (b.indexOf('-') >= 0 || b.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder())
                        .decode(b.replace("=", ""));
            } catch (IllegalArgumentException e) {
                continue;
            }
            String s = readable(bytes);
            if (s != null) out.add(new Blob(m.start(), m.end(), s));
        }
        m = HEX.matcher(text);
        while (m.find() && out.size() < MAX_BLOBS) {
            String h = m.group(1).replaceAll("[\\s:]", "");
            if (h.length() > MAX_BLOB_CHARS || (h.length() & 1) != 0) continue;
            byte[] bytes = new byte[h.length() / 2];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) Integer.parseInt(h, 2 * i, 2 * i + 2, 16);
            String s = readable(bytes);
            if (s != null) out.add(new Blob(m.start(), m.end(), s));
        }
        return out;
    }

    /** Base64 of text mixes cases or digits; a plain long word ("internationalization") is not a blob. */
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

    /** The bytes as text when they are valid UTF-8 and mostly printable (so random keys are not "text"). */
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
