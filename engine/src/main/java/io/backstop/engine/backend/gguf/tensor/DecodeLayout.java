package io.backstop.engine.backend.gguf.tensor;

/**
 * How a Q4_K or Q8_0 matrix's decode copy is laid out, chosen at load time by how many sequences decode at once
 * (Q6_K's rows in lanes, {@link Q6_KLanes}, and Q4_0's 8-bit-activation quads, {@link Q4_0Lanes}, serve both). Q4_K's
 * one-sequence copy multiplies the decode steps' activations rounded to 8 bits ({@link Q8Activations}, as llama.cpp
 * does), so its products differ from the batch copy's by that rounding; Q8_0's sums its rows in lanes
 * ({@link Q8_0Lanes}), so its products differ from the batch copy's by float rounding. Prefill (the tile) is the same
 * in both.
 */
public enum DecodeLayout {
    /**
     * For a model that batches several sequences per step (the server's default): the multi-token kernels read two
     * groups' runs at addresses linear in the run index, which C2 unrolls: Q4_K's groups one after another; Q8_0's row
     * pairs.
     */
    BATCH,
    /**
     * Groups in quads, each quad one sequential stream of runs and factors, 4-bit weights times 8-bit activations in
     * 16-bit lanes ({@link Q4_KQuadKernels}; Q8_0's rows in lanes, {@link Q8_0Lanes}): a lone token's products faster,
     * a batch's slower (it runs token by token). For a model that decodes one sequence at a
     * time (a concurrency of 1, as {@code bench model} and a single-user deployment load it).
     */
    ONE_SEQUENCE;

    /**
     * Row groups (of L rows) a decode step's chunks come in multiples of: a whole quad, as Q4_0's copy holds its groups
     * (the other types' batch kernels take pairs, which a quad holds).
     */
    public int chunkGroups() {
        return Q4_0QuadKernels.QUAD;
    }
}
