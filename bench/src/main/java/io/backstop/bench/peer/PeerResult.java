package io.backstop.bench.peer;

import java.util.List;
import java.util.Objects;

/**
 * One test row of a peer run (today: llama.cpp's {@code llama-bench}).
 *
 * @param test            llama-bench's name for the test: {@code pp64} (prompt processing of 64 tokens),
 *                        {@code tg128} (generation of 128 tokens), {@code pp64+tg128} for a combined test
 * @param threads         threads the peer used
 * @param tokensPerSecond mean tok/s over the repetitions (llama-bench's {@code avg_ts}): prompt tokens / prompt time
 *                        for pp, generated tokens / generation time for tg
 * @param stddev          standard deviation of tok/s over the repetitions ({@code stddev_ts}), 0 for one repetition
 * @param samples         tok/s of each repetition ({@code samples_ts})
 */
public record PeerResult(String test, int threads, double tokensPerSecond, double stddev, List<Double> samples) {
    public PeerResult {
        Objects.requireNonNull(test, "test");
        samples = List.copyOf(samples);
    }
}
