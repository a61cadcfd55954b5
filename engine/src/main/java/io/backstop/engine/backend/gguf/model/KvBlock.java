package io.backstop.engine.backend.gguf.model;

/**
 * The keys and values of {@link KvBlocks#BLOCK} consecutive positions of one sequence, every layer.
 * Once full and published, a block is immutable and may be shared by every sequence whose tokens up
 * to its end are the same (the prefix cache); {@code refs} counts the sequences holding it.
 */
final class KvBlock {
    /** Per layer, [position in block][kvDim] and [position in block][vDim]. */
    final float[][] keys;
    final float[][] values;
    int refs;
    /** Set when published: the hash of every token up to this block's end, the previous block's hash, and its own tokens. */
    boolean published;
    long hash;
    long parentHash;
    final int[] tokens = new int[KvBlocks.BLOCK];

    KvBlock(int layers, int kvDim, int vDim) {
        keys = new float[layers][KvBlocks.BLOCK * kvDim];
        values = new float[layers][KvBlocks.BLOCK * vDim];
    }
}
