package io.backstop.engine.backend.gguf.kernel;

import java.util.Arrays;

/**
 * How one product's units (row groups, heads) are cut into the chunks {@link ComputePool} members claim: chunks of
 * an equal size first, then ever smaller ones, so that the member finishing last holds up the others for a sliver of
 * work, not for one of many equal chunks. With 16 equal chunks a member waited half a chunk on average at every join:
 * 1.5–2.4 ms of thread time per 23 ms decode step (TinyLlama Q4_0, two threads, {@code bench step}). Chunk
 * {@code c} of remaining work R takes {@code R / (2·threads)} units, at most {@code units / (4·threads)} (a member that
 * the OS deschedules holds no more than that) and at least {@code align} — in multiples of {@code align}, so the
 * kernels keep taking their groups in pairs. Boundaries are computed once per product and shape: claiming allocates
 * nothing. Prefill keeps {@link #equal} chunks.
 */
public final class Split {
    private final int[] bounds;

    private Split(int[] bounds) {
        this.bounds = bounds;
    }

    /** The guided chunks above for {@code threads} members; a single chunk for one thread, or for no more than {@code align} units. */
    public static Split guided(int units, int threads, int align) {
        if (units < 0 || threads < 1 || align < 1) throw new IllegalArgumentException(units + " units, " + threads + " threads, align " + align);
        if (threads == 1 || units <= align) return new Split(new int[] {0, units});
        int cap = roundUp(ceilDiv(units, 4 * threads), align);
        int[] b = new int[units + 1];
        int c = 0;
        for (int at = 0; at < units; ) {
            int size = Math.max(align, Math.min(cap, roundUp(ceilDiv(units - at, 2 * threads), align)));
            at = Math.min(units, at + size);
            b[++c] = at;
        }
        return new Split(Arrays.copyOf(b, c + 1));
    }

    /**
     * {@code chunks} chunks of (nearly) equal size, at most one per unit: for prefill, whose products pay a fixed cost per
     * call (the tile lays out its tokens' activations afresh) that the guided tail would multiply.
     */
    public static Split equal(int units, int chunks) {
        if (units < 0 || chunks < 1) throw new IllegalArgumentException(units + " units, " + chunks + " chunks");
        int n = Math.max(1, Math.min(units, chunks));
        int[] b = new int[n + 1];
        for (int c = 0; c <= n; c++) b[c] = ComputePool.start(units, c, n, 1); // the pool's own equal shares
        return new Split(b);
    }

    /** Number of chunks: what {@link ComputePool#run} is given. */
    public int chunks() {
        return bounds.length - 1;
    }

    /** First unit of chunk {@code chunk}. */
    public int start(int chunk) {
        return bounds[chunk];
    }

    /** One past the last unit of chunk {@code chunk}. */
    public int end(int chunk) {
        return bounds[chunk + 1];
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int m) {
        return ceilDiv(a, m) * m;
    }

    @Override
    public String toString() {
        return "Split" + Arrays.toString(bounds);
    }
}
