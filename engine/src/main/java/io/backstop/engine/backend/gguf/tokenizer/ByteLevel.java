package io.backstop.engine.backend.gguf.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's byte-level alphabet: every byte is written as one printable character (printable Latin-1
 * bytes as themselves, the others as U+0100 onwards), so byte-level BPE pieces are plain strings.
 */
final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[256 + 256];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte-level spelling of these bytes. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The bytes a byte-level piece stands for; characters outside the alphabet stand for their own UTF-8. */
    static byte[] decode(String piece) {
        byte[] bytes = new byte[piece.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = piece.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return decodeMixed(piece);
            bytes[i] = (byte) b;
        }
        return bytes;
    }

    /** A piece with characters outside the alphabet (added tokens typed normal): those stand for their UTF-8. */
    private static byte[] decodeMixed(String piece) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(piece.length());
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            int b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) out.write(b);
            else out.writeBytes(Character.toString(cp).getBytes(StandardCharsets.UTF_8));
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
