package io.backstop.bench.model;

import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * llama-bench's tests through our engine API: {@code ppN} = prompt tok/s for an N-token prompt,
 * {@code tgN} = decode tok/s generating N tokens. Prompts are random token ids (no special tokens), so
 * every run processes exactly N tokens whatever the tokenizer.
 */
public final class ModelBench {
    /** One test's repetitions, tok/s each. */
    public record Runs(String test, List<Double> tokensPerSecond) {
        public double min() {
            return tokensPerSecond.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }

        public double median() {
            return io.backstop.bench.Stats.median(tokensPerSecond);
        }

        public double max() {
            return tokensPerSecond.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }

    private final Model model;
    private final SplittableRandom random = new SplittableRandom(7);

    public ModelBench(Model model) {
        this.model = model;
    }

    public Runs prompt(int tokens, int warmups, int reps) {
        List<Double> out = new ArrayList<>();
        for (int r = 0; r < warmups + reps; r++) {
            GenerationResult g = model.generate(GenerationRequest.builder(Prompt.tokens(promptOf(tokens))).greedy().maxTokens(1).build());
            if (r >= warmups) out.add(g.timings().prefillTokensPerSecond());
        }
        return new Runs("pp" + tokens, out);
    }

    public Runs generate(int tokens, int warmups, int reps) {
        List<Double> out = new ArrayList<>();
        for (int r = 0; r < warmups + reps; r++) {
            GenerationRequest.Builder b = GenerationRequest.builder(Prompt.tokens(promptOf(1))).greedy().maxTokens(tokens + 1);
            for (int id : model.backend().eosTokenIds()) b.logitBias(id, -100); // always generate all N
            GenerationResult g = model.generate(b.build());
            if (r >= warmups) out.add(g.timings().decodeTokensPerSecond());
        }
        return new Runs("tg" + tokens, out);
    }

    /** BOS (when the model uses one) followed by random ordinary tokens: exactly {@code n} positions. */
    int[] promptOf(int n) {
        int vocab = model.info().vocabSize();
        int[] ids = new int[n];
        int start = 0;
        if (model.backend().addsBosToken()) ids[start++] = model.backend().bosTokenId();
        for (int i = start; i < n; i++) {
            int id;
            do {
                id = random.nextInt(vocab);
            } while (model.backend().vocabulary().isSpecial(id) || model.backend().eosTokenIds().contains(id));
            ids[i] = id;
        }
        return ids;
    }
}
