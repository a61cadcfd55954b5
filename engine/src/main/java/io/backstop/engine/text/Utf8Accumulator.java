package io.backstop.engine.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of byte chunks into complete UTF-8 text. Bytes of a character that is not
 * finished yet are held until its last byte arrives, so no returned string ever splits a
 * character (byte-fallback tokens such as {@code <0xE2>} deliver one byte at a time).
 * Invalid sequences become U+FFFD, as every tokenizer decoder does.
 */
public final class Utf8Accumulator {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(8);

    /** Appends bytes and returns the text that is now complete (possibly empty). */
    public String append(byte[] bytes) {
        if (pending.size() == 0 && isCompleteAscii(bytes)) {
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        pending.writeBytes(bytes);
        byte[] all = pending.toByteArray();
        int complete = completePrefixLength(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is still held back (an unfinished character decodes to U+FFFD). */
    public String flush() {
        if (pending.size() == 0) return "";
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    private static boolean isCompleteAscii(byte[] bytes) {
        for (byte b : bytes) if (b < 0) return false;
        return true;
    }

    /** Length of the longest prefix that does not end inside an unfinished (but so far valid) character. */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        // Look back at most 3 bytes for the lead byte of the last character.
        for (int back = 1; back <= Math.min(4, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // continuation byte, keep looking
            int need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 1;
            return back < need ? n - back : n;
        }
        return n; // only continuation bytes: invalid, let the decoder replace them
    }
}
