package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.backstop.engine.TestModels.Reference;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Prompt log-probabilities: what echo with logprobs (and lm-eval's max_tokens 0 scoring) is built on. */
class PromptScoringTest {

    /** The reference prompt followed by its greedy continuation, as token ids. */
    private static int[] promptAndContinuation(Reference ref) {
        int[] all = Arrays.copyOf(ref.promptIds(), ref.promptIds().length + ref.generatedIds().length);
        System.arraycopy(ref.generatedIds(), 0, all, ref.promptIds().length, ref.generatedIds().length);
        return all;
    }

    @Test
    void scoringAGreedyContinuationFindsEachTokenTheMostLikelyWithTheLogprobsGenerationReported() {
        Reference ref = TestModels.references().get(2);
        Model m = TestModels.stories();
        GenerationResult generated = m.generate(GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).logprobs(0).build());
        int[] all = promptAndContinuation(ref);
        GenerationResult scored = m.generate(GenerationRequest.builder(Prompt.tokens(all)).maxTokens(0).promptLogprobs(1).build());

        assertThat(scored.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(scored.tokenIds()).isEmpty();
        assertThat(scored.usage()).isEqualTo(new Usage(all.length, 0));
        assertThat(scored.promptTokenIds()).containsExactly(all);
        List<TokenLogprob> lps = scored.promptLogprobs();
        assertThat(lps).hasSize(all.length);
        assertThat(lps.get(0)).as("nothing precedes the first token").isNull();
        for (int j = 1; j < all.length; j++) {
            assertThat(lps.get(j).tokenId()).isEqualTo(all[j]);
            assertThat(lps.get(j).logprob()).isLessThanOrEqualTo(0);
        }
        int p = ref.promptIds().length;
        for (int k = 0; k < ref.generatedIds().length; k++) {
            TokenLogprob lp = lps.get(p + k);
            assertThat(lp.top().get(0).tokenId()).as("greedy picked the most likely token").isEqualTo(ref.generatedIds()[k]);
            assertThat(lp.logprob()).isCloseTo(generated.logprobs().get(k).logprob(), within(1e-3));
        }
    }

    @Test
    void scoringThenGeneratingContinuesAsAPlainGenerationDoes() {
        Reference ref = TestModels.references().get(1);
        Model m = TestModels.stories();
        GenerationResult r = m.generate(GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).promptLogprobs(0).build());
        assertThat(r.tokenIds()).containsExactly(ref.generatedIds());
        assertThat(r.promptLogprobs()).hasSize(ref.promptIds().length);
        assertThat(r.promptLogprobs().get(1).top()).isEmpty();
    }

    @Test
    void maxTokensZeroIsOnlyForScoring() {
        assertThatThrownBy(() -> TestModels.stories().generate(GenerationRequest.text("Once").maxTokens(0).build()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("max_tokens must be at least 1");
        assertThatThrownBy(() -> TestModels.stories().generate(GenerationRequest.text("Once").maxTokens(-1).promptLogprobs(0).build()))
                .isInstanceOf(InvalidRequestException.class);
    }
}
