package io.backstop.engine.backend.gguf.tensor;

/**
 * How a Q4_0 or Q4_K matrix's decode copy is laid out, chosen at load time by how many sequences decode at once. Both
 * give every token the same bits; they differ in speed only.
 */
public enum DecodeLayout {
    /**
     * Groups of rows one after another: the multi-token kernels read two groups' runs at addresses linear in the run
     * index, which C2 unrolls. For a model that batches several sequences per step (the server's default).
     */
    BATCH,
    /**
     * Groups in quads, each quad one sequential stream of runs and scales ({@link Q4_0QuadKernels}; Q4_K's runs
     * likewise, {@link Q4_KQuadKernels}): a lone token's products 1.15–1.3× faster (Q4_0), a batch's slower (it runs
     * token by token). For a model that decodes one sequence at a
     * time (a concurrency of 1, as {@code bench model} and a single-user deployment load it).
     */
    ONE_SEQUENCE;

    /** Row groups (of L rows) a decode step's chunks come in multiples of: a pair for the batch kernels, a whole quad. */
    public int chunkGroups() {
        return this == ONE_SEQUENCE ? Q4_0QuadKernels.QUAD : 2;
    }
}
