package io.backstop.engine;

/**
 * Where a request's time went.
 *
 * @param queuedNanos       waiting for a free slot in the scheduler
 * @param timeToFirstTokenNanos from the start of processing to the first sampled token (prefill + first sample)
 * @param prefillNanos      running the prompt through the model
 * @param decodeNanos       generating every token after the first
 * @param decodedTokens     tokens produced by decode steps (completion tokens − 1)
 */
public record Timings(long queuedNanos, long timeToFirstTokenNanos, long prefillNanos, int promptTokens,
                      long decodeNanos, int decodedTokens) {

    public double timeToFirstTokenMillis() {
        return timeToFirstTokenNanos / 1e6;
    }

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
    }

    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : decodedTokens * 1e9 / decodeNanos;
    }

    /** One line for humans: {@code --verbose} output and logs. */
    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "prompt %d tok, prefill %.1f tok/s | generated %d tok, decode %.1f tok/s | time to first token %.1f ms | queued %.1f ms",
                promptTokens, prefillTokensPerSecond(), decodedTokens + (timeToFirstTokenNanos > 0 ? 1 : 0),
                decodeTokensPerSecond(), timeToFirstTokenMillis(), queuedNanos / 1e6);
    }
}
