package io.backstop.engine.text;

import io.backstop.engine.backend.Vocabulary;

/**
 * Incremental detokenizer: feed token ids one by one, get back only complete characters.
 * Special tokens produce no text. One leading space is stripped at the start of a sequence when the
 * tokenizer prepended it while encoding (sentencepiece convention).
 */
public final class Detokenizer {
    private final Vocabulary vocabulary;
    private final Utf8Accumulator utf8 = new Utf8Accumulator();
    private boolean atSequenceStart;

    /**
     * @param atSequenceStart true when no text precedes the tokens that will be fed (e.g. the prompt
     *                        held only special tokens), so a prepended space must be removed
     */
    public Detokenizer(Vocabulary vocabulary, boolean atSequenceStart) {
        this.vocabulary = vocabulary;
        this.atSequenceStart = atSequenceStart && vocabulary.stripsLeadingSpace();
    }

    public String next(int tokenId) {
        if (vocabulary.isSpecial(tokenId)) return "";
        String text = utf8.append(vocabulary.bytes(tokenId));
        if (atSequenceStart && !text.isEmpty()) {
            atSequenceStart = false;
            if (text.charAt(0) == ' ') text = text.substring(1);
        }
        return text;
    }

    public String flush() {
        return utf8.flush();
    }

    /** Decodes a whole sequence from its start. */
    public static String decode(Vocabulary vocabulary, int[] ids) {
        Detokenizer d = new Detokenizer(vocabulary, true);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.next(id));
        return sb.append(d.flush()).toString();
    }
}
