package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.backend.gguf.file.GgufMetadata;
import io.backstop.engine.text.BpeMerger;
import java.nio.charset.StandardCharsets;

/**
 * The {@code llama} tokenizer: SentencePiece BPE as llama.cpp runs it. Spaces become {@code ▁}, a
 * space is prefixed at the start and after each special token ({@code add_space_prefix}, default
 * true), characters start as symbols, and the adjacent pair whose concatenation is the
 * highest-scoring token merges first (leftmost among equals). Characters that are no token are
 * written as their UTF-8 bytes in byte tokens {@code <0xXX>}.
 */
final class SentencePieceTokenizer extends FragmentTokenizer {
    static final char SPACE = '\u2581';

    private final boolean addSpacePrefix;
    private final int[] byteTokens;
    private final int unknown;

    private SentencePieceTokenizer(TokenTable table, SpecialTokens specials, SpecialTokenSplitter splitter, boolean addSpacePrefix) {
        super(table, specials, splitter, new GgufVocabulary(table, id -> normalBytes(table, id), addSpacePrefix));
        this.addSpacePrefix = addSpacePrefix;
        this.unknown = specials.unknown();
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) byteTokens[b] = byteToken(table, b);
    }

    static SentencePieceTokenizer read(GgufMetadata m) {
        TokenTable table = TokenTable.read(m);
        SpecialTokens specials = SpecialTokens.read(m, table, new SpecialTokens.Defaults(1, 2, 0, true));
        SpecialTokenSplitter splitter = SpecialTokenSplitter.of(table, m.string("general.name", ""));
        return new SentencePieceTokenizer(table, specials, splitter, m.bool("tokenizer.ggml.add_space_prefix", true));
    }

    /** {@code <0xXX>}, else (as llama.cpp) a token that is that single character. */
    private static int byteToken(TokenTable table, int b) {
        int id = table.id(String.format("<0x%02X>", b));
        if (id >= 0) return id;
        return b < 0x80 ? table.plainId(String.valueOf((char) b)) : -1;
    }

    private static byte[] normalBytes(TokenTable table, int id) {
        String piece = table.text(id);
        if (table.type(id) == TokenType.BYTE && piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
        }
        return piece.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    void encodePlain(String text, int start, int end, boolean afterSpecial, IntList out) {
        String s = ((addSpacePrefix && afterSpecial ? " " : "") + text.substring(start, end)).replace(' ', SPACE);
        int n = s.codePointCount(0, s.length());
        int[] ids = new int[n];
        int[] lengths = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            int length = Character.charCount(s.codePointAt(at));
            ids[i] = table.plainId(s, at, at + length);
            lengths[i] = length;
            at += length;
        }
        int maxLength = table.maxTextLength();
        int left = BpeMerger.merge(ids, lengths, n, (l, r, from, mid, to) -> {
            if (to - from > maxLength) return BpeMerger.NONE;
            int id = table.plainId(s, from, to);
            return id < 0 ? BpeMerger.NONE : BpeMerger.pack(BpeMerger.priorityOfScore(table.score(id)), id);
        });
        for (int i = 0, at = 0; i < left; at += lengths[i++]) {
            if (ids[i] >= 0) out.add(ids[i]);
            else writeBytes(s.substring(at, at + lengths[i]), out);
        }
    }

    /** A character no token spells: its UTF-8 bytes as byte tokens, else the unknown token. */
    private void writeBytes(String character, IntList out) {
        for (byte b : character.getBytes(StandardCharsets.UTF_8)) {
            int id = byteTokens[b & 0xFF] >= 0 ? byteTokens[b & 0xFF] : unknown;
            if (id < 0) throw new IllegalArgumentException("the vocabulary has no token for U+" + Integer.toHexString(character.codePointAt(0)).toUpperCase()
                    + " (no byte tokens and no unknown token)");
            out.add(id);
        }
    }
}
