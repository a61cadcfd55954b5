package io.backstop.engine.backend.gguf.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ForwardPassChunksTest {

    @Test
    void chunksPartitionTheItemsInWholeGrainsInOrder() {
        for (int n : new int[] {0, 1, 15, 16, 17, 40, 2048, 5632, 32000}) {
            for (int chunks : new int[] {1, 2, 3, 10, 20, 30}) {
                for (int grain : new int[] {1, 16}) {
                    int covered = 0;
                    for (int c = 0; c < chunks; c++) {
                        int s = ForwardPass.start(n, c, chunks, grain), e = ForwardPass.end(n, c, chunks, grain);
                        assertThat(s).as("n %d chunks %d chunk %d", n, chunks, c).isEqualTo(covered);
                        assertThat(e).isGreaterThanOrEqualTo(s);
                        if (e < n) assertThat(e % grain).isZero();
                        covered = e;
                    }
                    assertThat(covered).isEqualTo(n);
                }
            }
        }
    }

    @Test
    void theLastChunksAreHalfTheSizeOfTheFirst() {
        int n = 5632, chunks = 20; // the FFN rows of TinyLlama split for two threads
        int first = ForwardPass.end(n, 0, chunks, 16) - ForwardPass.start(n, 0, chunks, 16);
        int last = ForwardPass.end(n, chunks - 1, chunks, 16) - ForwardPass.start(n, chunks - 1, chunks, 16);
        assertThat(first).isEqualTo(352); // 1/16 of the rows, as with 16 equal chunks
        assertThat(last).isBetween(160, 192); // 1/32, in whole grains of 16
    }
}
