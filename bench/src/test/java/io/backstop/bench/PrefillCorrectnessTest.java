package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticModel;
import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.backend.InferenceSession;
import io.backstop.engine.hub.ProgressListener;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched prefill must compute what feeding the tokens one by one computes. Jlama 0.8.4's batched
 * matmul skips a block of outputs for some batch sizes at real widths (stories260K is too narrow to
 * show it), so this runs on a synthetic model of real width, in F32, BF16 and Q4.
 */
class PrefillCorrectnessTest {
    private static final Shape WIDE = new Shape("prefill-check", "llama", 2048, 1, 16, 4, 2048, 512, 512, false);
    private static Path cache;

    @BeforeAll
    static void build() throws Exception {
        cache = java.nio.file.Files.createTempDirectory("backstop-prefill");
    }

    @AfterAll
    static void clean() throws Exception {
        try (var walk = java.nio.file.Files.walk(cache)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "BF16", "Q4"})
    void batchedPrefillEqualsTokenByToken(String dtype) throws Exception {
        Path dir = SyntheticModel.ensure(WIDE, SyntheticModel.Dtype.valueOf(dtype), cache, ProgressListener.NONE);
        try (Model m = Engine.load(dir, LoadOptions.defaults().withConcurrency(1, 0))) {
            int vocab = m.info().vocabSize();
            SplittableRandom random = new SplittableRandom(1);
            for (int n : new int[] {2, 6, 8, 13, 64, 77}) {
                int[] tokens = random.ints(n, 3, vocab).toArray();
                float[] batched = new float[vocab];
                float[] stepwise = new float[vocab];
                try (InferenceSession s = m.backend().openSession()) {
                    s.prefill(tokens, batched);
                }
                try (InferenceSession s = m.backend().openSession()) {
                    for (int i = 0; i < n - 1; i++) s.prefill(new int[] {tokens[i]}, null);
                    s.decode(tokens[n - 1], stepwise);
                }
                double maxDiff = 0;
                double scale = 0;
                for (int i = 0; i < vocab; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(batched[i] - stepwise[i]));
                    scale = Math.max(scale, Math.abs(stepwise[i]));
                }
                assertThat(maxDiff / scale).as("%s prompt of %d tokens: relative difference of logits", dtype, n).isLessThan(0.02);
            }
        }
    }

    /** Scoring a prompt (echo with logprobs) reads the logits of every row of the batch: each must match one-by-one decoding. */
    @ParameterizedTest
    @ValueSource(strings = {"F32", "Q4"})
    void scoredPrefillGivesEveryPositionsLogitsAsTokenByTokenDecoding(String dtype) throws Exception {
        Path dir = SyntheticModel.ensure(WIDE, SyntheticModel.Dtype.valueOf(dtype), cache, ProgressListener.NONE);
        try (Model m = Engine.load(dir, LoadOptions.defaults().withConcurrency(1, 0))) {
            int vocab = m.info().vocabSize();
            int[] tokens = new SplittableRandom(2).ints(13, 3, vocab).toArray();
            float[][] batched = new float[tokens.length][];
            try (InferenceSession s = m.backend().openSession()) {
                s.prefillScored(tokens, new float[vocab], (i, logits) -> batched[i] = logits.clone());
            }
            try (InferenceSession s = m.backend().openSession()) {
                float[] stepwise = new float[vocab];
                for (int i = 0; i < tokens.length; i++) {
                    s.decode(tokens[i], stepwise);
                    double maxDiff = 0;
                    double scale = 0;
                    for (int v = 0; v < vocab; v++) {
                        maxDiff = Math.max(maxDiff, Math.abs(batched[i][v] - stepwise[v]));
                        scale = Math.max(scale, Math.abs(stepwise[v]));
                    }
                    assertThat(maxDiff / scale).as("%s position %d: relative difference of logits", dtype, i).isLessThan(0.02);
                }
            }
        }
    }
}
