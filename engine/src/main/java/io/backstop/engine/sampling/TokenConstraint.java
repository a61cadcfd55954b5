package io.backstop.engine.sampling;

/**
 * Restricts which token may come next (a grammar, a JSON schema): the sampler chain applies its mask
 * after bias and penalties, before temperature and truncation. One instance per request; not
 * thread-safe. Masks are bitsets over the vocabulary: token t is allowed when
 * {@code (mask[t >>> 6] & (1L << t)) != 0}.
 */
public interface TokenConstraint {
    /** Writes the tokens allowed next into {@code mask}; returns how many. End tokens are allowed only when {@link #isComplete()}. */
    int fillMask(long[] mask);

    /**
     * Whether {@code token} leaves a document that can still be completed within {@code remainingAfter}
     * more tokens. Cheap: the work is kept for {@link #accept(int)} of the same token.
     */
    boolean fits(int token, int remainingAfter);

    /** Writes only the tokens that {@link #fits} (slow: used when the token budget runs short); returns how many. */
    int fillMaskWithin(long[] mask, int remainingAfter);

    /** Advances past a sampled token. */
    void accept(int token);

    /** The text so far is a complete document (an end token may come now). */
    boolean isComplete();

    /** Complete, and nothing may follow: generation ends here. */
    boolean isDone();

    /**
     * Nothing is constrained at this point (e.g. free text before a trigger): the loop then samples as
     * without a constraint, skipping the mask, and still reports each token through {@link #accept(int)}.
     */
    default boolean isFree() {
        return false;
    }
}
