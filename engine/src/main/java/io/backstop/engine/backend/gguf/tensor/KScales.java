package io.backstop.engine.backend.gguf.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The 6-bit scales and mins of Q4_K and Q5_K super-blocks: 12 bytes hold 8 (scale, min) pairs, one per
 * 32-value sub-block. Pairs 0–3 are the low 6 bits of bytes 0–3 (scales) and 4–7 (mins); pairs 4–7 take
 * their low 4 bits from the nibbles of bytes 8–11 and their high 2 bits from the top bits of bytes 0–7.
 */
final class KScales {
    private KScales() {}

    /** Scale of sub-block j (0–7) of the 12 bytes at {@code offset}. */
    static int scale(MemorySegment data, long offset, int j) {
        if (j < 4) return u8(data, offset + j) & 63;
        return (u8(data, offset + j + 4) & 0xF) | ((u8(data, offset + j - 4) >> 6) << 4);
    }

    /** Min of sub-block j (0–7). */
    static int min(MemorySegment data, long offset, int j) {
        if (j < 4) return u8(data, offset + j + 4) & 63;
        return (u8(data, offset + j + 4) >> 4) | ((u8(data, offset + j) >> 6) << 4);
    }

    private static int u8(MemorySegment data, long offset) {
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, offset));
    }
}
