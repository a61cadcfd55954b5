package io.backstop.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.Engine;
import io.backstop.engine.Model;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.BatchRunner;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The load-time warm-up on the real native runner of stories260K. */
class WarmUpTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Engine.load(Path.of(TestModels.shared().toString(), "models/stories260K/gguf/stories260K-f32.gguf"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void runsPromptChunksThenEachDecodeBatchSizeOnceAndGivesItsMemoryBack() {
        try (BatchRunner runner = model.backend().batchRunner(8, 64, 1 << 24)) {
            List<Integer> steps = WarmUp.run(runner, 8, 64);
            assertThat(steps).as("prompt chunks, the prompt's end (4 prompt rows and its last token), decode steps").containsExactly(32, 17, 5, 5, 1, 2, 3, 4, 8);
            BatchRunner.KvUsage usage = runner.usage();
            assertThat(usage.used()).as("blocks held after the warm-up").isZero();
            assertThat(usage.cached()).as("blocks left in the prefix cache").isZero();
            assertThat(usage.prefixHits()).isZero();
            // a real prompt (BOS first) finds nothing of the warm-up's in the prefix cache
            int[] prompt = model.tokenize("Once upon a time", true);
            try (BatchRunner.Sequence s = runner.open(prompt, 0, true)) {
                assertThat(s.reused()).isZero();
            }
        }
    }

    @Test
    void aBudgetTooSmallForTheLargestBatchEndsTheWarmUpEarlyWithoutHoldingMemory() {
        try (BatchRunner runner = model.backend().batchRunner(8, 16, 1)) { // one KV block in all
            List<Integer> steps = WarmUp.run(runner, 8, 16);
            assertThat(steps.size()).isLessThan(6);
            assertThat(runner.usage().used()).isZero();
            assertThat(runner.usage().cached()).isZero();
        }
    }

    @Test
    void promptChunksAreAFullTileBlockOneWithASingleRealTokenAndOneBelowTheTileCutToPrefillTokens() {
        assertThat(WarmUp.chunks(64)).containsExactly(32, 17, 5);
        assertThat(WarmUp.chunks(16)).containsExactly(16, 5);
        assertThat(WarmUp.chunks(4)).containsExactly(4);
        try (BatchRunner runner = model.backend().batchRunner(2, 16, 1 << 24)) {
            assertThat(WarmUp.run(runner, 2, 16)).containsExactly(16, 5, 5, 1, 2);
        }
    }

    @Test
    void batchSizesAreOneToFourThenDoublingUpToTheMost() {
        assertThat(WarmUp.sizes(1)).containsExactly(1);
        assertThat(WarmUp.sizes(3)).containsExactly(1, 2, 3);
        assertThat(WarmUp.sizes(8)).containsExactly(1, 2, 3, 4, 8);
        assertThat(WarmUp.sizes(12)).containsExactly(1, 2, 3, 4, 8, 12);
        assertThat(WarmUp.sizes(16)).containsExactly(1, 2, 3, 4, 8, 16);
        assertThat(WarmUp.sizes(40)).containsExactly(1, 2, 3, 4, 8, 16, 32, 40);
    }
}
