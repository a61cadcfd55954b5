package io.backstop.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JitBacklogTest {
    @Test
    void waitsWhileTheJitHasEngineMethodsQueuedAtMostMaxPolls() {
        int[] backlog = {3, 2, 1, 0, 5};
        int[] at = {0};
        List<Integer> seen = new ArrayList<>();
        int polls = JitBacklog.await(() -> backlog[at[0]], () -> seen.add(backlog[at[0]++]), 100);
        assertThat(polls).isEqualTo(3);
        assertThat(seen).containsExactly(3, 2, 1); // stopped at the first empty look, not later
        assertThat(JitBacklog.await(() -> 1, () -> {}, 7)).as("a backlog that never drains").isEqualTo(7);
        assertThat(JitBacklog.await(() -> 0, () -> {
            throw new AssertionError("no pause when nothing is queued");
        }, 7)).isZero();
    }

    @Test
    void theBacklogCountsTheEngineMethodsOfACompilerQueueListing() {
        String listing = """
                Current compiles:\s
                C2 CompilerThread0  1406   !   4       io.backstop.engine.backend.gguf.tensor.OuterProduct::square (530 bytes)
                C1 CompilerThread0  1410       3       java.lang.String::isEmpty (14 bytes)

                C1 compile queue:
                Empty

                C2 compile queue:
                1395       4       io.backstop.engine.backend.gguf.tensor.Q4_0LaneKernels::oneFourGroups (900 bytes)
                1398       4       java.util.HashMap::put (13 bytes)
                """;
        assertThat(JitBacklog.engineMethods(listing)).isEqualTo(2);
        assertThat(JitBacklog.engineMethods("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n")).isZero();
        assertThat(JitBacklog.probe()).as("HotSpot has the command").isNotNull();
    }
}
