package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.backend.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * A GGUF vocabulary as the engine sees it: every token's output bytes, computed once at load.
 * Control, unknown and unused tokens stand for no text (llama.cpp's {@code token_to_piece} without
 * {@code special}); user-defined tokens stand for their text as written.
 */
final class GgufVocabulary implements Vocabulary {
    private static final byte[] NONE = new byte[0];

    private final String[] pieces;
    private final byte[][] bytes;
    private final boolean[] special;
    private final int maxTokenBytes;
    private final boolean stripsLeadingSpace;

    /**
     * @param normalBytes the bytes of a normal (or byte) token, by id: what the model type's pieces spell
     */
    GgufVocabulary(TokenTable table, IntFunction<byte[]> normalBytes, boolean stripsLeadingSpace) {
        int n = table.size();
        this.pieces = new String[n];
        this.bytes = new byte[n][];
        this.special = new boolean[n];
        int longest = 1;
        for (int id = 0; id < n; id++) {
            TokenType type = table.type(id);
            pieces[id] = table.text(id);
            special[id] = type.silent();
            bytes[id] = type.silent() ? NONE
                    : type == TokenType.USER_DEFINED ? pieces[id].getBytes(StandardCharsets.UTF_8)
                    : normalBytes.apply(id);
            longest = Math.max(longest, bytes[id].length);
        }
        this.maxTokenBytes = longest;
        this.stripsLeadingSpace = stripsLeadingSpace;
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
