package io.backstop.engine.backend.gguf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SplitTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void chunksPartitionTheItemsInWholeGrainsLargestFirst(int threads) {
        Split s = new Split(threads);
        for (int items : new int[] {1, 15, 16, 17, 40, 64, 2048, 5632, 32000, 32001}) {
            for (int grain : new int[] {1, 16}) {
                int n = s.plan(items, grain);
                assertThat(n).isEqualTo(s.chunks()).isPositive();
                assertThat(s.from(0)).isZero();
                assertThat(s.to(n - 1)).isEqualTo(items);
                for (int c = 0; c < n; c++) {
                    assertThat(s.to(c)).as("%d items, chunk %d", items, c).isGreaterThan(s.from(c));
                    if (c > 0) assertThat(s.from(c)).isEqualTo(s.to(c - 1));
                    if (s.to(c) < items) assertThat(s.to(c) % grain).isZero();
                    if (c > 0 && s.to(c) < items) assertThat(s.to(c) - s.from(c)).isLessThanOrEqualTo(s.to(c - 1) - s.from(c - 1));
                }
                if (threads > 1 && items >= 64 * grain) {
                    assertThat(s.to(n - 1) - s.from(n - 1)).as("the last chunk is one grain").isLessThanOrEqualTo(grain);
                    assertThat(s.to(0) - s.from(0)).as("the first a 1/(2·threads) share").isLessThanOrEqualTo(items / (2 * threads) + grain);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void chunksButTheLastHaveAtLeastTheLeastGrains(int least) {
        Split s = new Split(2);
        for (int items : new int[] {16, 100, 2048, 5632, 32000}) {
            int n = s.plan(items, 16, least);
            assertThat(s.to(n - 1)).isEqualTo(items);
            for (int c = 0; c + 1 < n; c++) assertThat(s.to(c) - s.from(c)).as("%d items, chunk %d", items, c).isGreaterThanOrEqualTo(least * 16);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void noItemsNoChunksWithOneThreadOneChunk(int items) {
        Split one = new Split(1);
        assertThat(one.plan(items, 16)).isEqualTo(items);
        Split two = new Split(2);
        assertThat(two.plan(items, 16)).isEqualTo(items);
    }
}
