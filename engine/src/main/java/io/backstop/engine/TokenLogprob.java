package io.backstop.engine;

import java.util.List;

/**
 * The log-probability of one generated token and the most likely alternatives at its position.
 *
 * @param text  the token's own text (U+FFFD when it is only part of a multi-byte character)
 * @param bytes the token's bytes, which carry what {@code text} cannot for byte tokens
 */
public record TokenLogprob(int tokenId, String text, byte[] bytes, double logprob, List<Alternative> top) {
    public record Alternative(int tokenId, String text, byte[] bytes, double logprob) {}
}
