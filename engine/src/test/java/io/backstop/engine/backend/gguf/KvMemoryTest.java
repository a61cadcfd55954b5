package io.backstop.engine.backend.gguf;

import static io.backstop.engine.backend.gguf.ContinuousBatchingTest.BLOCK_BYTES;
import static io.backstop.engine.backend.gguf.ContinuousBatchingTest.load;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.EngineException;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationHandle;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.engine.TestModels;
import io.backstop.engine.TestModels.Reference;
import io.backstop.engine.schedule.SchedulerStats;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** KV memory in blocks: the budget bounds admission and growth; cached positions are reused by prompts with the same start, to the token. */
class KvMemoryTest {
    static final Reference LONG = TestModels.references().stream().filter(r -> r.name().equals("once-upon-a-time-512")).findFirst().orElseThrow();
    /** 200 tokens of a real story: 12 full blocks and 8 positions. */
    static final int[] STORY = Arrays.copyOf(ContinuousBatchingTest.concat(LONG.promptIds(), LONG.generatedIds()), 200);

    static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return GenerationRequest.builder(Prompt.tokens(prompt)).greedy().maxTokens(maxTokens).build();
    }

    @Test
    void aRepeatedPromptStartsFromCachedBlocksAndGetsTheSameAnswer() {
        try (Model m = load("stories260K-f32.gguf", 2, 0, 0)) {
            GenerationResult first = m.generate(greedy(STORY, 30));
            assertThat(m.schedulerStats().prefixHits()).isZero();
            GenerationResult again = m.generate(greedy(STORY, 30));
            SchedulerStats s = m.schedulerStats();
            assertThat(s.prefixHits()).isEqualTo(1);
            assertThat(s.prefixTokensSaved()).isEqualTo(199); // 12 full blocks and 7 positions copied from the 13th: all but the last token
            assertThat(again.tokenIds()).containsExactly(first.tokenIds());

            // a prompt that shares the first 100 tokens reuses the 6 blocks they fill and copies 4 positions of the 7th,
            // and answers as a model without a cache
            int[] branch = Arrays.copyOf(STORY, 140);
            Arrays.fill(branch, 100, 140, 300);
            GenerationResult cached = m.generate(greedy(branch, 30));
            assertThat(m.schedulerStats().prefixTokensSaved()).isEqualTo(199 + 100);
            try (Model fresh = load("stories260K-f32.gguf", 2, 0, 0)) {
                assertThat(cached.tokenIds()).containsExactly(fresh.generate(greedy(branch, 30)).tokenIds());
            }
        }
    }

    @Test
    void aPromptThatContinuesAnEarlierConversationReusesItToTheToken() {
        try (Model m = load("stories260K-f32.gguf", 2, 0, 0)) {
            int[] turn = Arrays.copyOf(STORY, 24);
            GenerationResult answer = m.generate(greedy(turn, 5)); // runs 24 + 4 positions: a full block and 12 in a second
            // the next turn: the earlier prompt, its answer, and more; the answer's last token never ran, so it is not cached
            int[] next = ContinuousBatchingTest.concat(ContinuousBatchingTest.concat(turn, answer.tokenIds()), new int[] {300, 301});
            GenerationResult cached = m.generate(greedy(next, 20));
            assertThat(m.schedulerStats().prefixHits()).isEqualTo(1);
            assertThat(m.schedulerStats().prefixTokensSaved()).isEqualTo(16 + 12);
            try (Model fresh = load("stories260K-f32.gguf", 2, 0, 0)) {
                assertThat(cached.tokenIds()).containsExactly(fresh.generate(greedy(next, 20)).tokenIds());
            }
        }
    }

    /**
     * On a model that rounds decode activations to 8 bits, a prompt's last token runs in the decode form, so a cached
     * prompt (whose last token runs alone) gets the bits of the uncached one (whose last token ran beside 19 others of
     * its last chunk, the prompt form's tile): the same log-probabilities to the last bit, every token.
     */
    @Test
    void aCachedPromptGetsTheUncachedOnesLogprobsToTheBitOnAModelThatRoundsActivations() {
        int[] prompt = Arrays.copyOf(STORY, 64 + 20); // chunks of 64 and 20
        GenerationRequest r = GenerationRequest.builder(Prompt.tokens(prompt)).greedy().maxTokens(20).logprobs(1).build();
        try (Model m = load("stories260K-q4_0.gguf", 2, 0, 64)) {
            GenerationResult first = m.generate(r);
            GenerationResult again = m.generate(r);
            assertThat(m.schedulerStats().prefixTokensSaved()).isEqualTo(prompt.length - 1);
            assertThat(again.tokenIds()).containsExactly(first.tokenIds());
            for (int t = 0; t < first.tokenIds().length; t++) {
                assertThat(again.logprobs().get(t).logprob()).as("token %d", t).isEqualTo(first.logprobs().get(t).logprob());
            }
        }
    }

    @Test
    void copiesOfAPromptSubmittedTogetherReadItOnce() {
        try (Model m = load("stories260K-f32.gguf", 4, 0, 0)) {
            GenerationHandle a = m.submit(greedy(STORY, 12), null), b = m.submit(greedy(STORY, 12), null), c = m.submit(greedy(STORY, 12), null);
            int[] first = a.await().tokenIds();
            assertThat(b.await().tokenIds()).containsExactly(first);
            assertThat(c.await().tokenIds()).containsExactly(first);
            assertThat(m.schedulerStats().prefixHits()).isEqualTo(2);
            assertThat(m.schedulerStats().prefixTokensSaved()).isEqualTo(2 * 12 * 16);
        }
    }

    @Test
    void cachedBlocksAreEvictedLeastRecentlyUsedFirstWhenMemoryIsNeeded() {
        // 20 blocks: one 200-token sequence (13 blocks + growth) fits, two do not
        try (Model m = load("stories260K-f32.gguf", 2, 20 * BLOCK_BYTES, 0)) {
            m.generate(greedy(STORY, 10));
            assertThat(m.schedulerStats().kvBlocksCached()).isEqualTo(14); // 200 prompt + 9 run = 209 positions: 13 full blocks and one position
            int[] other = STORY.clone();
            other[0] = 5; // shares nothing (the hash chains from the first block)
            m.generate(greedy(other, 10));
            SchedulerStats s = m.schedulerStats();
            assertThat(s.prefixHits()).isZero();
            assertThat(s.kvBlocksCached()).isEqualTo(20); // 14 of the second and the 6 of the first not evicted for it
            m.generate(greedy(STORY, 10));
            assertThat(m.schedulerStats().prefixHits()).as("the first story's blocks were evicted for the second").isZero();
        }
    }

    @Test
    void aSequenceThatOutgrowsTheBudgetEndsWithLengthAndSaysWhy() {
        try (Model m = load("stories260K-f32.gguf", 2, 4 * BLOCK_BYTES, 0)) {
            GenerationResult r = m.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(200).build());
            assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(r.finishDetail()).contains("KV cache budget is spent (4 blocks)");
            assertThat(r.usage().promptTokens() + r.usage().completionTokens()).isEqualTo(4 * 16 + 1); // every position held, and the token sampled after them
            assertThat(m.schedulerStats().kvBlocksUsed()).isZero();
        }
    }

    @Test
    void aPromptLargerThanTheWholeBudgetIsRefusedAtOnce() {
        try (Model m = load("stories260K-f32.gguf", 2, 4 * BLOCK_BYTES, 0)) {
            assertThatThrownBy(() -> m.submit(greedy(STORY, 5), null)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("the prompt needs 13 KV cache blocks but the model's whole KV budget is 4");
        }
    }

    @Test
    void aPromptThatDoesNotFitBesideTheRunningOnesWaitsForMemory() {
        // 16 blocks: a 200-token prompt takes 13, so two cannot run together; both finish, one after the other
        try (Model m = load("stories260K-f32.gguf", 2, 16 * BLOCK_BYTES, 0)) {
            int[] other = STORY.clone();
            other[0] = 5;
            GenerationHandle a = m.submit(greedy(STORY, 20), null), b = m.submit(greedy(other, 20), null);
            GenerationResult ra = a.await(), rb = b.await();
            assertThat(ra.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(ra.finishDetail()).isNull();
            assertThat(rb.tokenIds()).hasSize(20);
            assertThat(m.schedulerStats().batchedTokens()).as("never two prompts in one step").isEqualTo(200 + 19 + 200 + 19);
            assertThat(m.schedulerStats().steps()).isEqualTo(m.schedulerStats().batchedTokens() - 2 * 200 + 2 * 4); // each prompt in ceil(200/64) = 4 steps
        }
    }
}
