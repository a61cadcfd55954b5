package io.backstop.engine.backend.jlama;

import com.github.tjake.jlama.safetensors.tokenizer.BPETokenizer;
import com.github.tjake.jlama.safetensors.tokenizer.Tokenizer;
import com.github.tjake.jlama.safetensors.tokenizer.TokenizerModel;
import io.backstop.engine.backend.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jlama's tokenizer vocabulary as bytes. Jlama's own decode() mangles multi-byte characters that
 * arrive as byte-fallback tokens, so we map every token to its bytes once and assemble UTF-8 ourselves.
 */
final class JlamaVocabulary implements Vocabulary {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    private static final byte[] NONE = new byte[0];

    private final String[] pieces;
    private final byte[][] bytes;
    private final boolean[] special;
    private final boolean stripsLeadingSpace;
    private final int maxTokenBytes;

    JlamaVocabulary(Tokenizer tokenizer, int vocabSize) {
        TokenizerModel m = tokenizer.getModel();
        int size = Math.max(vocabSize, m.vocabLookup.size());
        this.pieces = new String[size];
        this.bytes = new byte[size][];
        this.special = new boolean[size];
        for (Map.Entry<String, Long> e : m.vocabLookup.entrySet()) {
            int id = e.getValue().intValue();
            if (id < 0 || id >= size) continue;
            pieces[id] = e.getKey();
            special[id] = m.isSpecialToken(id);
            boolean added = m.addedTokens() != null && m.addedTokens().containsKey(e.getKey());
            bytes[id] = special[id] ? NONE : added ? e.getKey().getBytes(StandardCharsets.UTF_8) : toBytes(m, e.getKey());
        }
        for (int i = 0; i < size; i++) {
            if (pieces[i] == null) {
                pieces[i] = "";
                bytes[i] = NONE;
            }
        }
        this.stripsLeadingSpace = prependsSpace(tokenizer);
        int longest = 1;
        for (byte[] b : bytes) longest = Math.max(longest, b.length);
        this.maxTokenBytes = longest;
    }

    private static byte[] toBytes(TokenizerModel m, String piece) {
        if (m.byteFallback) {
            Matcher b = BYTE_TOKEN.matcher(piece);
            if (b.matches()) return new byte[] {(byte) Integer.parseInt(b.group(1), 16)};
        }
        if (isByteLevel(m)) {
            // GPT-2 byte-level BPE: every character of the piece stands for one byte.
            byte[] out = new byte[piece.codePointCount(0, piece.length())];
            int[] i = {0};
            piece.codePoints().forEach(cp -> out[i[0]++] = (byte) BPETokenizer.alteredBytes.inverse().getOrDefault(cp, cp).intValue());
            return out;
        }
        return piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    /** Jlama calls GPT-2 style byte-level vocabularies "legacy" (without byte fallback). */
    private static boolean isByteLevel(TokenizerModel m) {
        return m.isLegacy() && !m.byteFallback;
    }

    /** Sentencepiece-style tokenizers mark the start of text with "▁"; their decoders strip that space again. */
    private static boolean prependsSpace(Tokenizer tokenizer) {
        if (isByteLevel(tokenizer.getModel())) return false;
        long[] ids = tokenizer.encode("a");
        if (ids.length == 0) return false;
        String first = tokenizer.getModel().vocabLookup.inverse().get(ids[0]);
        return first != null && (first.startsWith("\u2581") || first.equals("<0x20>"));
    }

    @Override
    public int size() {
        return pieces.length;
    }

    @Override
    public byte[] bytes(int tokenId) {
        return tokenId >= 0 && tokenId < bytes.length ? bytes[tokenId] : NONE;
    }

    @Override
    public String piece(int tokenId) {
        return tokenId >= 0 && tokenId < pieces.length ? pieces[tokenId] : "";
    }

    @Override
    public boolean isSpecial(int tokenId) {
        return tokenId >= 0 && tokenId < special.length && special[tokenId];
    }

    @Override
    public int maxTokenBytes() {
        return maxTokenBytes;
    }

    @Override
    public boolean stripsLeadingSpace() {
        return stripsLeadingSpace;
    }
}
