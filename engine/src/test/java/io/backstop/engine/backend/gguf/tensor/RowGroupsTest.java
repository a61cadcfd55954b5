package io.backstop.engine.backend.gguf.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class RowGroupsTest {

    @Test
    void copiesStartOnACacheLineAndHoldTheirBytes() {
        for (long bytes : new long[] {1, 63, 64, 1000, 4096 + 16, 3L << 20}) {
            MemorySegment m = RowGroups.allocate(bytes);
            assertThat(m.address() % 64).as("%d bytes", bytes).isZero();
            assertThat(m.byteSize()).isEqualTo(bytes);
            assertThat(m.isNative()).isTrue();
            m.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7); // the last byte is ours
            assertThat(m.get(ValueLayout.JAVA_BYTE, bytes - 1)).isEqualTo((byte) 7);
        }
    }
}
