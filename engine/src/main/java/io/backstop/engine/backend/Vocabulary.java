package io.backstop.engine.backend;

/** A model's tokens as bytes, so the engine can assemble text itself (byte-fallback, byte-level BPE). */
public interface Vocabulary {
    int size();

    /** The bytes this token stands for in output text; empty for special/control tokens. */
    byte[] bytes(int tokenId);

    /** The raw vocabulary entry, for display (e.g. {@code ▁the}, {@code <0xE2>}). */
    String piece(int tokenId);

    boolean isSpecial(int tokenId);

    /** The most bytes any token stands for: a text of N bytes needs at least N / this many tokens. */
    int maxTokenBytes();

    /**
     * True for sentencepiece-style tokenizers that prepend a space to the text before encoding:
     * the decoder then strips one leading space at the very start of a sequence.
     */
    boolean stripsLeadingSpace();
}
