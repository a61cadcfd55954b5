package io.backstop.engine.backend.gguf.model;

/**
 * The keys and values of {@link KvBlocks#BLOCK} consecutive positions of one sequence, every layer.
 * Once full and published, a block is immutable and may be shared by every sequence whose tokens up
 * to its end are the same (the prefix cache); {@code refs} counts the sequences holding it. A sequence
 * whose tokens agree with a published block only for its first positions gets a copy of those.
 */
final class KvBlock {
    /**
     * Per layer, keys [kvDim][position in block] (transposed: a vector of BLOCK positions per dimension, what
     * {@link io.backstop.engine.backend.gguf.kernel.VectorMath#scores} multiplies) and values [position in block][vDim].
     */
    final float[][] keys;
    final float[][] values;
    int refs;
    /**
     * Set when published: the hash of every token up to this block's end (full blocks), the previous
     * block's hash, its own tokens, and how many of its positions hold them (a sequence's last block may
     * be published part-filled when the sequence ends).
     */
    boolean published;
    long hash;
    long parentHash;
    int filled;
    final int[] tokens = new int[KvBlocks.BLOCK];

    KvBlock(int layers, int kvDim, int vDim) {
        keys = new float[layers][KvBlocks.BLOCK * kvDim];
        values = new float[layers][KvBlocks.BLOCK * vDim];
    }
}
