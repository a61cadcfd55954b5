package io.backstop.engine.backend.gguf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SplitTest {

    @ParameterizedTest
    @CsvSource({"352,2,2", "128,2,2", "40,2,1", "2000,2,2", "7,2,2", "3,4,2", "1,2,1", "129,3,2", "5632,8,4"})
    void chunksCoverEveryUnitOnceInOrderAndShrink(int units, int threads, int align) {
        Split s = Split.guided(units, threads, align);
        assertThat(s.start(0)).isZero();
        assertThat(s.end(s.chunks() - 1)).isEqualTo(units);
        int cap = Math.max(align, ((units + 4 * threads - 1) / (4 * threads) + align - 1) / align * align);
        for (int c = 0; c < s.chunks(); c++) {
            int size = s.end(c) - s.start(c);
            assertThat(size).as("chunk %d of %s", c, s).isPositive().isLessThanOrEqualTo(cap);
            if (c + 1 < s.chunks()) {
                assertThat(s.end(c)).isEqualTo(s.start(c + 1));
                assertThat(size % align).as("chunk %d of %s", c, s).isZero();
                assertThat(s.end(c + 1) - s.start(c + 1)).as("chunk %d of %s", c + 1, s).isLessThanOrEqualTo(size);
            }
        }
    }

    @Test
    void theTailIsFinerThanEqualChunks() {
        // gate/up of TinyLlama at two threads: 352 groups of 16 rows; equal chunks were 16 of 22 groups
        Split s = Split.guided(352, 2, 2);
        assertThat(s.end(0) - s.start(0)).isEqualTo(44);
        assertThat(s.end(s.chunks() - 1) - s.start(s.chunks() - 1)).isEqualTo(2);
        assertThat(s.chunks()).isBetween(16, 24);
    }

    @Test
    void equalChunksMatchThePoolsEqualShares() {
        for (int units : new int[] {1, 7, 16, 128, 352, 2000}) {
            for (int chunks : new int[] {1, 3, 16}) {
                Split s = Split.equal(units, chunks);
                assertThat(s.chunks()).isEqualTo(Math.min(units, chunks));
                for (int c = 0; c < s.chunks(); c++) {
                    assertThat(s.start(c)).isEqualTo(ComputePool.start(units, c, s.chunks(), 1));
                    assertThat(s.end(c)).isEqualTo(ComputePool.end(units, c, s.chunks(), 1));
                }
            }
        }
        assertThatThrownBy(() -> Split.equal(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oneThreadRunsOneChunk() {
        Split s = Split.guided(352, 1, 2);
        assertThat(s.chunks()).isOne();
        assertThat(s.end(0)).isEqualTo(352);
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> Split.guided(-1, 2, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Split.guided(10, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Split.guided(10, 2, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
