package io.backstop.bench.decode;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.backend.jlama.JlamaModel;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Decode tok/s of our generation loop against Jlama's own generate() on the same loaded model, same
 * prompt, greedy, same number of generated tokens. Runs alternate (ours, Jlama, ours, …) so machine
 * noise hits both sides alike; the report gives medians and their ratio.
 */
public final class LoopVsJlama {

    /** One timed run: decode tok/s over the tokens after the first, and the generated text. */
    public record Sample(double decodeTokensPerSecond, int generated, String text) {}

    public record Result(List<Sample> ours, List<Sample> jlama) {
        public double oursMedian() {
            return median(ours);
        }

        public double jlamaMedian() {
            return median(jlama);
        }

        public double ratio() {
            return oursMedian() / jlamaMedian();
        }
    }

    private final Model model;
    private final AbstractModel jlama;

    public LoopVsJlama(Model model) {
        this.model = model;
        if (!(model.backend() instanceof JlamaModel jm)) throw new IllegalArgumentException("needs a model loaded by the Jlama backend");
        this.jlama = jm.jlama();
    }

    public Result run(String prompt, int tokens, int warmups, int repetitions) {
        for (int i = 0; i < warmups; i++) {
            ours(prompt, tokens);
            jlama(prompt, tokens);
        }
        List<Sample> ours = new ArrayList<>();
        List<Sample> theirs = new ArrayList<>();
        for (int i = 0; i < repetitions; i++) {
            ours.add(ours(prompt, tokens));
            theirs.add(jlama(prompt, tokens));
        }
        return new Result(ours, theirs);
    }

    Sample ours(String prompt, int tokens) {
        GenerationResult r = model.generate(GenerationRequest.text(prompt).greedy().maxTokens(tokens).build());
        return new Sample(r.timings().decodeTokensPerSecond(), r.usage().completionTokens(), r.text());
    }

    /** Jlama's generate() counts ntokens as total positions, so we ask for prompt + tokens. */
    Sample jlama(String prompt, int tokens) {
        int promptTokens = model.tokenize(prompt, true).length;
        long[] first = {0};
        long[] last = {0};
        int[] count = {0};
        StringBuilder text = new StringBuilder();
        jlama.generate(UUID.randomUUID(), PromptContext.of(prompt), 0.0f, promptTokens + tokens - 1, (piece, ms) -> {
            long now = System.nanoTime();
            if (count[0]++ == 0) first[0] = now;
            last[0] = now;
            text.append(piece);
        });
        double tps = count[0] > 1 ? (count[0] - 1) * 1e9 / (last[0] - first[0]) : 0;
        return new Sample(tps, count[0], text.toString());
    }

    static double median(List<Sample> samples) {
        return io.backstop.bench.Stats.median(samples.stream().map(Sample::decodeTokensPerSecond).toList());
    }
}
