package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sampling options on the real stories260K model. */
class SamplingTest {
    private static final String PROMPT = "Once upon a time";

    private static GenerationResult run(GenerationRequest.Builder b) {
        return TestModels.stories().generate(b.maxTokens(40).build());
    }

    @Test
    void sameSeedSameRequestGivesTheSameOutput() {
        GenerationResult a = run(GenerationRequest.text(PROMPT).temperature(1.0).seed(1234L));
        GenerationResult b = run(GenerationRequest.text(PROMPT).temperature(1.0).seed(1234L));
        assertThat(b.tokenIds()).containsExactly(a.tokenIds());
        assertThat(b.text()).isEqualTo(a.text());
    }

    @Test
    void differentSeedsGiveDifferentOutputs() {
        GenerationResult a = run(GenerationRequest.text(PROMPT).temperature(1.2).seed(1L));
        GenerationResult b = run(GenerationRequest.text(PROMPT).temperature(1.2).seed(2L));
        assertThat(b.tokenIds()).isNotEqualTo(a.tokenIds());
    }

    @Test
    void topKOneEqualsGreedy() {
        GenerationResult greedy = run(GenerationRequest.text(PROMPT).greedy());
        GenerationResult topK1 = run(GenerationRequest.text(PROMPT).temperature(1.5).topK(1).seed(99L));
        assertThat(topK1.tokenIds()).containsExactly(greedy.tokenIds());
    }

    @Test
    void sampledOutputDiffersFromGreedyAtHighTemperature() {
        GenerationResult greedy = run(GenerationRequest.text(PROMPT).greedy());
        GenerationResult hot = run(GenerationRequest.text(PROMPT).temperature(2.0).seed(5L));
        assertThat(hot.tokenIds()).isNotEqualTo(greedy.tokenIds());
    }

    @Test
    void logitBiasBansATokenTheModelWouldPick() {
        GenerationResult greedy = run(GenerationRequest.text(PROMPT).greedy());
        int first = greedy.tokenIds()[0];
        GenerationResult banned = run(GenerationRequest.text(PROMPT).greedy().logitBias(first, -100));
        assertThat(banned.tokenIds()[0]).isNotEqualTo(first);
        assertThat(banned.tokenIds()).doesNotContain(first);
    }

    @Test
    void repetitionPenaltyChangesGreedyOutput() {
        GenerationResult plain = run(GenerationRequest.text(PROMPT).greedy());
        GenerationResult penalised = run(GenerationRequest.text(PROMPT).greedy().repetitionPenalty(1.8));
        assertThat(penalised.tokenIds()).isNotEqualTo(plain.tokenIds());
    }

    @Test
    void presenceAndFrequencyPenaltiesChangeGreedyOutput() {
        GenerationResult plain = run(GenerationRequest.text(PROMPT).greedy());
        assertThat(run(GenerationRequest.text(PROMPT).greedy().presencePenalty(2.0)).tokenIds()).isNotEqualTo(plain.tokenIds());
        assertThat(run(GenerationRequest.text(PROMPT).greedy().frequencyPenalty(2.0)).tokenIds()).isNotEqualTo(plain.tokenIds());
    }

    @Test
    void logprobsReportTheChosenTokenAndTopAlternatives() {
        GenerationResult r = run(GenerationRequest.text(PROMPT).greedy().logprobs(3));
        assertThat(r.logprobs()).hasSize(r.tokenIds().length);
        for (int i = 0; i < r.tokenIds().length; i++) {
            TokenLogprob lp = r.logprobs().get(i);
            assertThat(lp.tokenId()).isEqualTo(r.tokenIds()[i]);
            assertThat(lp.top()).hasSize(3);
            // greedy picks the most likely token, so it heads the alternatives
            assertThat(lp.top().get(0).tokenId()).isEqualTo(lp.tokenId());
            assertThat(lp.logprob()).isLessThanOrEqualTo(0).isEqualTo(lp.top().get(0).logprob());
            assertThat(lp.top().get(1).logprob()).isLessThanOrEqualTo(lp.top().get(0).logprob());
        }
    }

    @Test
    void outOfRangeOptionsAreRejectedNamingTheField() {
        Model m = TestModels.stories();
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).temperature(3).build()), "temperature");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).topP(0).build()), "top_p");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).topK(-2).build()), "top_k");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).minP(1.5).build()), "min_p");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).maxTokens(0).build()), "max_tokens");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).presencePenalty(-3).build()), "presence_penalty");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).logitBias(99999, 1).build()), "logit_bias");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).stop("a", "b", "c", "d", "e").build()), "stop");
        assertField(() -> m.generate(GenerationRequest.text(PROMPT).logprobs(21).build()), "top_logprobs");
    }

    private static void assertField(Runnable call, String field) {
        org.assertj.core.api.Assertions.assertThatThrownBy(call::run)
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(field)
                .satisfies(e -> assertThat(((InvalidRequestException) e).field()).isEqualTo(field));
    }
}
