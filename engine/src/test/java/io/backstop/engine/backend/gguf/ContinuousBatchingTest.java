package io.backstop.engine.backend.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.Engine;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationHandle;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.engine.TestModels;
import io.backstop.engine.TestModels.Reference;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.backend.gguf.model.KvBlocks;
import io.backstop.engine.schedule.SchedulerStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching on the native engine, through the engine API: every request gives the answer it
 * gives alone, whatever runs beside it; cancelled ones leave the batch; prompts run in chunks; KV memory
 * bounds admission and growth; the prefix cache saves work without changing answers.
 */
class ContinuousBatchingTest {
    /** stories260K: 5 layers × (32 + 32) × 16 positions × 4 bytes. */
    static final long BLOCK_BYTES = 5L * 64 * KvBlocks.BLOCK * 4;

    static Model load(String file, int maxInFlight, long kvBytes, int prefillTokens) {
        return Engine.load(GgufFixtures.stories(file), LoadOptions.defaults().withConcurrency(maxInFlight, 16).withBatching(kvBytes, prefillTokens));
    }

    /** llama2.c's stories end with BOS, which run.c stops on. */
    static GenerationRequest reference(Reference ref) {
        return GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).stopTokenIds(Set.of(1)).build();
    }

    static GenerationRequest seeded(String prompt, long seed) {
        return GenerationRequest.text(prompt).temperature(0.9).topP(0.95).seed(seed).maxTokens(80).build();
    }

    @Test
    void greedyAndSeededAnswersAreTheSameInABatchAsAlone() {
        List<Reference> refs = TestModels.references();
        try (Model m = load("stories260K-f32.gguf", 8, 0, 0)) {
            List<String> alone = new ArrayList<>();
            for (int s = 0; s < 3; s++) alone.add(m.generate(seeded("Lily wanted", s)).text());

            List<GenerationHandle> greedy = new ArrayList<>(), sampled = new ArrayList<>();
            for (Reference ref : refs) greedy.add(m.submit(reference(ref), null));
            for (int s = 0; s < 3; s++) sampled.add(m.submit(seeded("Lily wanted", s), null));
            for (int i = 0; i < refs.size(); i++) {
                GenerationResult r = greedy.get(i).await();
                assertThat(r.tokenIds()).as(refs.get(i).name()).containsExactly(refs.get(i).generatedIds());
                assertThat(refs.get(i).prompt() + r.text()).isEqualTo(refs.get(i).text());
            }
            for (int s = 0; s < 3; s++) assertThat(sampled.get(s).await().text()).isEqualTo(alone.get(s));
            SchedulerStats stats = m.schedulerStats();
            assertThat(stats.batchedTokens()).as("rows per step on average").isGreaterThan(stats.steps());
            assertThat(stats.running()).isZero();
            assertThat(stats.kvBlocksUsed()).isZero();
        }
    }

    /**
     * A 4-bit model batched and alone: the same tokens, except that a long greedy run may part at a near tie. Its
     * 4-bit products take the same bits in any step, but its F16 and Q8_0 products sum in another order from four
     * decode rows on (README, "Continuous batching"), and 8-bit rounding of activations can turn such a last-bit
     * difference into a quantum's: two runs may choose differently where their top two tokens are within
     * {@link #NEAR_TIE}, never where the choice is clear.
     */
    @Test
    void aQuantizedModelGivesTheSameTokensBatchedAsAlone() {
        try (Model m = load("stories260K-q4_0.gguf", 8, 0, 0)) {
            List<GenerationResult> alone = new ArrayList<>();
            for (Reference ref : TestModels.references()) alone.add(m.generate(withTopTwo(ref)));
            List<GenerationHandle> handles = new ArrayList<>();
            for (Reference ref : TestModels.references()) handles.add(m.submit(withTopTwo(ref), null));
            int same = 0, total = 0;
            for (int i = 0; i < handles.size(); i++) {
                GenerationResult a = alone.get(i), b = handles.get(i).await();
                int parted = Arrays.mismatch(a.tokenIds(), b.tokenIds());
                total += a.tokenIds().length;
                if (parted < 0) {
                    same += a.tokenIds().length;
                    continue;
                }
                same += parted;
                assertThat(topTwoGap(a.logprobs().get(parted))).as("reference %d parts at token %d", i, parted).isLessThan(NEAR_TIE);
                assertThat(topTwoGap(b.logprobs().get(parted))).as("reference %d parts at token %d (batched)", i, parted).isLessThan(NEAR_TIE);
            }
            assertThat(same).as("tokens the runs share").isGreaterThan(total * 3 / 4);
        }
    }

    /** Log-probability gap (nats) within which float rounding may decide between the top two tokens of a long greedy run. */
    static final double NEAR_TIE = 0.05;

    static GenerationRequest withTopTwo(Reference ref) {
        return GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).stopTokenIds(Set.of(1)).logprobs(2).build();
    }

    static double topTwoGap(TokenLogprob t) {
        return t.top().get(0).logprob() - t.top().get(1).logprob();
    }

    @Test
    void aCancelledSequenceLeavesTheBatchAndTheOthersFinishUnchanged() throws Exception {
        Reference ref = TestModels.references().get(TestModels.references().size() - 1);
        try (Model m = load("stories260K-f32.gguf", 4, 0, 0)) {
            CountDownLatch firstToken = new CountDownLatch(1);
            GenerationHandle doomed = m.submit(GenerationRequest.text("Once upon a time").greedy().maxTokens(400).build(), new GenerationListener() {
                @Override
                public void onText(String delta) {}

                @Override
                public void onToken(int tokenId, TokenLogprob logprob) {
                    firstToken.countDown();
                }
            });
            GenerationHandle other = m.submit(reference(ref), null);
            firstToken.await();
            doomed.cancel();
            GenerationResult cancelled = doomed.await();
            assertThat(cancelled.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(cancelled.tokenIds().length).isLessThan(400);
            assertThat(other.await().tokenIds()).containsExactly(ref.generatedIds());
        }
    }

    @Test
    void aLongPromptRunsInChunksAndGivesTheSameAnswer() {
        Reference ref = TestModels.references().stream().filter(r -> r.name().equals("once-upon-a-time-512")).findFirst().orElseThrow();
        int[] longPrompt = Arrays.copyOf(concat(ref.promptIds(), ref.generatedIds()), 300);
        GenerationRequest r = GenerationRequest.builder(Prompt.tokens(longPrompt)).greedy().maxTokens(40).build();
        GenerationResult whole, chunked;
        try (Model m = load("stories260K-f32.gguf", 2, 0, 512)) {
            whole = m.generate(r);
            assertThat(m.schedulerStats().steps()).isEqualTo(1 + 39); // the prompt in one step, then a step per token but the last
        }
        try (Model m = load("stories260K-f32.gguf", 2, 0, 8)) {
            chunked = m.generate(r);
            assertThat(m.schedulerStats().steps()).isEqualTo(38 + 39); // 37 chunks of 8 and one of 4
        }
        assertThat(chunked.tokenIds()).containsExactly(whole.tokenIds());
        // the reference continues the same story: the model's greedy answer from position 300 is its next 40 tokens
        assertThat(whole.tokenIds()).containsExactly(Arrays.copyOfRange(concat(ref.promptIds(), ref.generatedIds()), 300, 340));
    }

    @Test
    void constrainedLogprobsAndPromptScoresAreTheSameInABatchAsAlone() {
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":8}},\"required\":[\"name\"]}";
        GenerationRequest constrained = GenerationRequest.text("Once upon a time").temperature(1.0).seed(7L).maxTokens(60)
                .constraint(io.backstop.engine.grammar.ConstraintSpec.jsonSchema(schema)).logprobs(2).build();
        GenerationRequest scored = GenerationRequest.text("The little dog was sad because").greedy().maxTokens(5).promptLogprobs(2).build();
        try (Model m = load("stories260K-f32.gguf", 4, 0, 0)) {
            GenerationResult c1 = m.generate(constrained), s1 = m.generate(scored);
            GenerationHandle noise = m.submit(GenerationRequest.text("Lily").greedy().maxTokens(200).build(), null);
            GenerationHandle c2 = m.submit(constrained, null), s2 = m.submit(scored, null);
            assertThat(c2.await().text()).isEqualTo(c1.text()).startsWith("{");
            // the same tokens; log-probabilities equal up to float rounding (a batched product sums in another order than the one-token kernel)
            assertSameLogprobs(c2.await().logprobs(), c1.logprobs());
            assertSameLogprobs(s2.await().promptLogprobs(), s1.promptLogprobs());
            assertThat(s1.promptLogprobs()).hasSize(s1.promptTokenIds().length);
            noise.await();
            // and prompt scores agree with the Jlama backend on the same weights
            List<TokenLogprob> jlama = TestModels.stories().generate(scored).promptLogprobs();
            for (int i = 1; i < jlama.size(); i++) {
                assertThat(s1.promptLogprobs().get(i).tokenId()).isEqualTo(jlama.get(i).tokenId());
                assertThat(s1.promptLogprobs().get(i).logprob()).isCloseTo(jlama.get(i).logprob(), org.assertj.core.data.Offset.offset(1e-3));
            }
        }
    }

    static void assertSameLogprobs(List<TokenLogprob> actual, List<TokenLogprob> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i) == null) {
                assertThat(actual.get(i)).isNull();
                continue;
            }
            assertThat(actual.get(i).tokenId()).isEqualTo(expected.get(i).tokenId());
            assertThat(actual.get(i).logprob()).isCloseTo(expected.get(i).logprob(), org.assertj.core.data.Offset.offset(1e-4));
            assertThat(actual.get(i).top().stream().map(TokenLogprob.Alternative::tokenId).toList())
                    .isEqualTo(expected.get(i).top().stream().map(TokenLogprob.Alternative::tokenId).toList());
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
