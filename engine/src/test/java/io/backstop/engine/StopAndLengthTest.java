package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.TestModels.Reference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stop strings, max_tokens and usage on the real model, checked against a greedy reference. */
class StopAndLengthTest {
    private static final Reference REF = TestModels.references().stream()
            .filter(r -> r.name().equals("little-dog-150")).findFirst().orElseThrow();
    private static final String FULL = REF.text().substring(REF.prompt().length());

    private static GenerationResult greedy(GenerationRequest.Builder b, List<String> deltas) {
        return TestModels.stories().generate(b.greedy().build(), deltas::add);
    }

    @Test
    void stopStringEndsGenerationWithoutBeingEmitted() {
        List<String> deltas = new ArrayList<>();
        GenerationResult r = greedy(GenerationRequest.text(REF.prompt()).maxTokens(REF.maxTokens()).stop("box"), deltas);
        String expected = FULL.substring(0, FULL.indexOf("box"));
        assertThat(r.text()).isEqualTo(expected);
        assertThat(String.join("", deltas)).isEqualTo(expected);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(deltas).noneMatch(d -> d.contains("box"));
    }

    @Test
    void stopStringSpanningSeveralTokensIsCaughtWhenStreamed() {
        // "big box in the" spans several tokens; the streamed deltas never show its beginning
        String stop = "big box in the";
        List<String> deltas = new ArrayList<>();
        GenerationResult r = greedy(GenerationRequest.text(REF.prompt()).maxTokens(REF.maxTokens()).stop(stop, "zzz"), deltas);
        String expected = FULL.substring(0, FULL.indexOf(stop));
        assertThat(r.text()).isEqualTo(expected);
        assertThat(String.join("", deltas)).isEqualTo(expected);
        assertThat(r.usage().completionTokens()).isLessThan(REF.generatedIds().length);
    }

    @Test
    void stopTokenIdEndsGeneration() {
        int stopAt = REF.generatedIds()[5];
        GenerationResult r = TestModels.stories().generate(GenerationRequest.text(REF.prompt()).greedy()
                .maxTokens(REF.maxTokens()).stopTokenIds(java.util.Set.of(stopAt)).build());
        int firstIndex = 0;
        while (REF.generatedIds()[firstIndex] != stopAt) firstIndex++;
        assertThat(r.tokenIds()).hasSize(firstIndex + 1);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 50})
    void maxTokensIsHonouredExactlyAndUsageIsExact(int maxTokens) {
        List<String> deltas = new ArrayList<>();
        GenerationResult r = greedy(GenerationRequest.text(REF.prompt()).maxTokens(maxTokens), deltas);
        assertThat(r.tokenIds()).hasSize(maxTokens).containsExactly(java.util.Arrays.copyOf(REF.generatedIds(), maxTokens));
        assertThat(r.usage()).isEqualTo(new Usage(REF.promptIds().length, maxTokens));
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(String.join("", deltas)).isEqualTo(r.text());
        assertThat(r.timings().decodedTokens()).isEqualTo(maxTokens - 1);
    }
}
