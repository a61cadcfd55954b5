package io.backstop.engine;

import java.util.List;

/**
 * The log-probability of one generated token and the most likely alternatives at its position.
 *
 * @param text the token's own text (may be part of a multi-byte character)
 */
public record TokenLogprob(int tokenId, String text, double logprob, List<Alternative> top) {
    public record Alternative(int tokenId, String text, double logprob) {}
}
