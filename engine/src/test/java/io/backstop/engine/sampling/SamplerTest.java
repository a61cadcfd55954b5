package io.backstop.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1f, 3f, 3f, 0.5f, 2.9f, -1f};

    private static SamplingParams params(double t, double topP, int topK, double minP) {
        return new SamplingParams(t, topP, topK, minP, 7L, 1.0, 0, 0, Map.of());
    }

    private static Set<Integer> drawMany(SamplingParams p) {
        Sampler s = new Sampler(p, LOGITS.length, 42);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) seen.add(s.sample(LOGITS.clone(), new TokenHistory(LOGITS.length)));
        return seen;
    }

    @Test
    void greedyPicksTheFirstMaximum() {
        assertThat(new Sampler(params(0, 1, 0, 0), 6, 1).sample(LOGITS.clone(), new TokenHistory(6))).isEqualTo(1);
    }

    @Test
    void topKKeepsOnlyTheKMostLikely() {
        assertThat(drawMany(params(1, 1, 2, 0))).containsExactlyInAnyOrder(1, 2);
    }

    @Test
    void topPKeepsTheSmallestSetCoveringP() {
        // probabilities: tokens 1, 2, 4 hold ~0.85 of the mass
        assertThat(drawMany(params(1, 0.8, 0, 0))).containsExactlyInAnyOrder(1, 2, 4);
    }

    @Test
    void minPDropsTokensFarLessLikelyThanTheBest() {
        assertThat(drawMany(params(1, 1, 0, 0.5))).containsExactlyInAnyOrder(1, 2, 4);
    }

    @Test
    void logitBiasCanForceOrBanATokens() {
        SamplingParams force = new SamplingParams(0, 1, 0, 0, null, 1, 0, 0, Map.of(5, 100.0));
        assertThat(new Sampler(force, 6, 1).sample(LOGITS.clone(), new TokenHistory(6))).isEqualTo(5);
        SamplingParams ban = new SamplingParams(0, 1, 0, 0, null, 1, 0, 0, Map.of(1, -100.0, 2, -100.0));
        assertThat(new Sampler(ban, 6, 1).sample(LOGITS.clone(), new TokenHistory(6))).isEqualTo(4);
    }

    @Test
    void penaltiesLowerTokensAlreadySeen() {
        TokenHistory h = new TokenHistory(6);
        h.addGenerated(1);
        h.addGenerated(2);
        SamplingParams presence = new SamplingParams(0, 1, 0, 0, null, 1, 0.5, 0, Map.of());
        assertThat(new Sampler(presence, 6, 1).sample(LOGITS.clone(), h)).isEqualTo(4);
        SamplingParams repetition = new SamplingParams(0, 1, 0, 0, null, 1.5, 0, 0, Map.of());
        assertThat(new Sampler(repetition, 6, 1).sample(LOGITS.clone(), h)).isEqualTo(4);
        TokenHistory once = new TokenHistory(6);
        once.addGenerated(1);
        SamplingParams frequency = new SamplingParams(0, 1, 0, 0, null, 1, 0, 0.05, Map.of());
        assertThat(new Sampler(frequency, 6, 1).sample(LOGITS.clone(), once)).isEqualTo(2);
    }

    @Test
    void logprobsTopAlternativesAreSortedAndNormalised() {
        var lp = Logprobs.of(LOGITS, 1, 3, id -> String.valueOf(id).getBytes());
        assertThat(lp.top()).extracting(a -> a.tokenId()).containsExactly(1, 2, 4);
        assertThat(lp.logprob()).isLessThan(0);
        double sum = 0;
        for (int i = 0; i < LOGITS.length; i++) sum += Math.exp(Logprobs.of(LOGITS, i, 0, id -> String.valueOf(id).getBytes()).logprob());
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    }
}
