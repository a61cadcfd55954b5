package io.backstop.engine.backend.gguf.tensor;

/**
 * How a Q4_0, Q4_K or Q6_K matrix's decode copy is laid out, chosen at load time by how many sequences decode at once.
 * Q4_0's and Q4_K's give every token the same bits in both, differing in speed only; Q6_K's one-sequence copy
 * ({@link Q6_KLanes}) sums in another order than its row pairs, so its products differ by float rounding.
 */
public enum DecodeLayout {
    /**
     * Groups of rows one after another: the multi-token kernels read two groups' runs at addresses linear in the run
     * index, which C2 unrolls. For a model that batches several sequences per step (the server's default).
     */
    BATCH,
    /**
     * Groups in quads, each quad one sequential stream of runs and scales ({@link Q4_0QuadKernels}; Q4_K's runs
     * likewise, {@link Q4_KQuadKernels}; Q6_K's rows in lanes, {@link Q6_KLanes}): a lone token's products 1.15–1.3×
     * faster (Q4_0), a batch's slower (it runs token by token). For a model that decodes one sequence at a
     * time (a concurrency of 1, as {@code bench model} and a single-user deployment load it).
     */
    ONE_SEQUENCE;

    /** Row groups (of L rows) a decode step's chunks come in multiples of: a pair for the batch kernels, a whole quad. */
    public int chunkGroups() {
        return this == ONE_SEQUENCE ? Q4_0QuadKernels.QUAD : 2;
    }
}
