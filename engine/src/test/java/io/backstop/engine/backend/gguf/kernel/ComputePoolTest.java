package io.backstop.engine.backend.gguf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ComputePoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void everyChunkRunsExactlyOncePerDispatch(int threads) {
        try (ComputePool pool = ComputePool.shared(threads)) {
            for (int round = 0; round < 500; round++) {
                int n = 1 + round % 13;
                AtomicIntegerArray runs = new AtomicIntegerArray(n);
                AtomicIntegerArray workers = new AtomicIntegerArray(threads);
                pool.run((chunk, chunks, worker) -> {
                    assertThat(chunks).isEqualTo(n);
                    runs.incrementAndGet(chunk);
                    workers.incrementAndGet(worker);
                }, n);
                for (int c = 0; c < n; c++) assertThat(runs.get(c)).as("round %d chunk %d", round, c).isEqualTo(1);
            }
        }
    }

    @Test
    void aFailingChunkIsRethrownAndThePoolKeepsWorking() {
        try (ComputePool pool = ComputePool.shared(2)) {
            assertThatThrownBy(() -> pool.run((chunk, chunks, worker) -> {
                if (chunk == 3) throw new IllegalStateException("chunk 3 failed");
            }, 8)).isInstanceOf(IllegalStateException.class).hasMessage("chunk 3 failed");
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            pool.run((chunk, chunks, worker) -> runs.incrementAndGet(chunk), 8);
            for (int c = 0; c < 8; c++) assertThat(runs.get(c)).isEqualTo(1);
        }
    }

    @Test
    void poolsAreSharedPerThreadCountUntilTheLastUserCloses() {
        ComputePool a = ComputePool.shared(3);
        ComputePool b = ComputePool.shared(3);
        assertThat(b).isSameAs(a);
        assertThat(a.size()).isEqualTo(3);
        a.close();
        ComputePool c = ComputePool.shared(3);
        assertThat(c).isSameAs(b);
        b.close();
        c.close();
        try (ComputePool d = ComputePool.shared(3)) {
            assertThat(d).isNotSameAs(a);
        }
    }

    @Test
    void chunksPartitionTheItemsInWholeGrains() {
        for (int n : new int[] {0, 1, 15, 16, 17, 2048, 5632}) {
            for (int chunks : new int[] {1, 2, 3, 8}) {
                int covered = 0;
                for (int c = 0; c < chunks; c++) {
                    int s = ComputePool.start(n, c, chunks, 16), e = ComputePool.end(n, c, chunks, 16);
                    assertThat(s).isEqualTo(covered);
                    assertThat(e).isGreaterThanOrEqualTo(s);
                    if (e < n) assertThat(e % 16).isZero();
                    covered = e;
                }
                assertThat(covered).isEqualTo(n);
            }
        }
    }
}
