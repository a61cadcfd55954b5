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
    private final boolean wordsStopAtSpaces;
    private final int[] byteTokens;
    private final int unknown;

    private SentencePieceTokenizer(TokenTable table, SpecialTokens specials, SpecialTokenSplitter splitter, boolean addSpacePrefix) {
        super(table, specials, splitter, new GgufVocabulary(table, id -> normalBytes(table, id), addSpacePrefix));
        this.addSpacePrefix = addSpacePrefix;
        this.wordsStopAtSpaces = wordsStopAtSpaces(table);
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
        if (!wordsStopAtSpaces) {
            encodeSpan(s, 0, s.length(), out);
            return;
        }
        int from = 0;
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) == SPACE && s.charAt(i - 1) != SPACE) {
                encodeSpan(s, from, i, out);
                from = i;
            }
        }
        encodeSpan(s, from, s.length(), out);
    }

    /** Merges {@code s[from, to)} on its own. */
    private void encodeSpan(String s, int from, int to, IntList out) {
        int n = s.codePointCount(from, to);
        int[] ids = new int[n];
        int[] lengths = new int[n];
        for (int i = 0, at = from; i < n; i++) {
            int length = Character.charCount(s.codePointAt(at));
            ids[i] = table.plainId(s, at, at + length);
            lengths[i] = length;
            at += length;
        }
        int maxLength = table.maxTextLength();
        int left = BpeMerger.merge(ids, lengths, n, (l, r, a, mid, b) -> {
            if (b - a > maxLength) return BpeMerger.NONE;
            int id = table.plainId(s, from + a, from + b);
            return id < 0 ? BpeMerger.NONE : BpeMerger.pack(BpeMerger.priorityOfScore(table.score(id)), id);
        });
        for (int i = 0, at = from; i < left; at += lengths[i++]) {
            if (ids[i] >= 0) out.add(ids[i]);
            else writeBytes(s.substring(at, at + lengths[i]), out);
        }
    }

    /**
     * True when no token has a space after another character ({@code x▁}): then no merge can join the
     * text before a space to the space, the words merge independently, and each heap stays small.
     */
    private static boolean wordsStopAtSpaces(TokenTable table) {
        for (int id = 0; id < table.size(); id++) {
            String t = table.text(id);
            for (int i = t.indexOf(SPACE, 1); i > 0; i = t.indexOf(SPACE, i + 1)) {
                if (t.charAt(i - 1) != SPACE) return false;
            }
        }
        return true;
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
