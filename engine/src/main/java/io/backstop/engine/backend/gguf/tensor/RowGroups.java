package io.backstop.engine.backend.gguf.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;

/**
 * A Q8_0 matrix repacked at load time for the kernels (Q4_0 has its own layout, {@link Q4_0Lanes}): rows in pairs, and for each pair and block the
 * two rows' quantized bytes side by side followed by their two scales as F32. A kernel doing two rows reads
 * one stream and shares each load of the activations between them, and no kernel converts an F16 per block.
 * (Pairs, not fours: a kernel of four rows exceeds C2's inlining budget.)
 *
 * <p>Memory: native, from {@code malloc}, freed when the tensor is collected; like the file's mapping it is
 * bounded neither by the heap nor by {@code -XX:MaxDirectMemorySize}. The file's pages are dropped after the
 * copy, so the weights are held once: {@code 2·quants + 8} bytes per two blocks instead of
 * {@code 2·(quants + 2)} (Q8_0 +6 %), plus a zero row padding an odd count.
 */
final class RowGroups {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final Linker C = Linker.nativeLinker();
    private static final MethodHandle MALLOC = C.downcallHandle(C.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = C.downcallHandle(C.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    final MemorySegment packed;
    /** Blocks per row. */
    final int blocks;
    /** Quantized bytes per block and row. */
    final int quantBytes;
    /** Bytes per pair and block: the next block of a row is this far on. */
    final long stride;

    private RowGroups(MemorySegment packed, int blocks, int quantBytes) {
        this.packed = packed;
        this.blocks = blocks;
        this.quantBytes = quantBytes;
        this.stride = 2L * quantBytes + 8;
    }

    /**
     * Repacks {@code rows} rows of {@code blocks} GGUF blocks of {@code blockBytes} each: an F16 scale, then
     * {@code quantBytes} quantized bytes (the layout of Q8_0 and Q4_0; Q4_KTensor and KPairs use {@link #allocate} only).
     */
    static RowGroups repack(MemorySegment src, int rows, int blocks, int blockBytes, int quantBytes) {
        RowGroups g = new RowGroups(allocate((rows + 1L) / 2 * blocks * (2L * quantBytes + 8)), blocks, quantBytes);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                long s = ((long) r * blocks + b) * blockBytes, q = g.quants(r, b);
                for (int i = 0; i < quantBytes; i += 8) g.packed.set(LONG, q + i, src.get(LONG, s + 2 + i));
                g.packed.set(FLOAT_LE, g.scale(r, b), Float.float16ToFloat(src.get(SHORT_LE, s)));
            }
        }
        if (src.isMapped()) src.unload(); // read once; the copy is what the kernels use
        return g;
    }

    /** A cache line: where every copy starts. */
    private static final long ALIGN = 64;

    /**
     * {@code bytes} of native memory from {@code malloc}, starting on a cache line, freed when the segment is collected.
     * ({@code malloc} puts large blocks 16 bytes past a page, so every 64-byte load of the Q4_0/Q4_K scales spanned two
     * cache lines; with the guided chunks of the same commit 1.00–1.06× a decode step, README. Huge pages,
     * {@code madvise(MADV_HUGEPAGE)}, were tried as well: no gain, a wider spread.)
     */
    static MemorySegment allocate(long bytes) {
        MemorySegment p;
        try {
            p = (MemorySegment) MALLOC.invokeExact(bytes + ALIGN - 1);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (p.equals(MemorySegment.NULL)) throw new OutOfMemoryError("no " + bytes + " bytes of native memory for repacked weights");
        long skip = -p.address() & (ALIGN - 1);
        return p.reinterpret(bytes + ALIGN - 1, Arena.ofAuto(), RowGroups::free).asSlice(skip, bytes);
    }

    private static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Offset of row {@code r}'s quantized bytes of block {@code b}. */
    long quants(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + (long) (r & 1) * quantBytes;
    }

    /** Offset of row {@code r}'s F32 scale of block {@code b}. */
    long scale(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + 2L * quantBytes + 4L * (r & 1);
    }
}
