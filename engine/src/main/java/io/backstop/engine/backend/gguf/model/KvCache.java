package io.backstop.engine.backend.gguf.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence's keys and values: a table of {@link KvBlock}s taken from the model's {@link KvBlocks}
 * as the sequence grows, and the tokens it has run (to publish its full blocks to the prefix cache).
 * Closing it gives the blocks back. Used by the thread that drives the model.
 */
public final class KvCache implements AutoCloseable {
    private final KvBlocks pool;
    private final int maxPositions;
    private final List<KvBlock> blocks = new ArrayList<>();
    private int[] tokens = new int[64];
    private int position;
    private int reused;
    private long lastHash = KvBlocks.ROOT;
    private int publishedBlocks;

    KvCache(KvBlocks pool, int maxPositions) {
        this.pool = pool;
        this.maxPositions = maxPositions;
    }

    /**
     * Takes the cached blocks that hold a prefix of {@code prompt}, and a copy of the positions it shares
     * with a cached block beyond them, leaving at least its last token to run (its logits are needed);
     * returns the positions now computed.
     */
    public int reusePrefix(int[] prompt) {
        if (position != 0) throw new IllegalStateException("prefix reuse on a sequence that has started");
        int most = (prompt.length - 1) / KvBlocks.BLOCK;
        for (int b = 0; b < most; b++) {
            KvBlock block = pool.lookup(lastHash, prompt, b * KvBlocks.BLOCK);
            if (block == null) break;
            blocks.add(block);
            lastHash = block.hash;
        }
        publishedBlocks = blocks.size();
        position = blocks.size() * KvBlocks.BLOCK;
        int limit = Math.min(KvBlocks.BLOCK, prompt.length - 1 - position);
        KvBlock part = limit > 0 ? pool.copyPrefix(lastHash, prompt, position, limit) : null;
        if (part != null) {
            blocks.add(part);
            position += part.filled;
        }
        reused = position;
        if (reused > 0) {
            ensureTokens(position);
            System.arraycopy(prompt, 0, tokens, 0, position);
            pool.countHit(reused);
        }
        return position;
    }

    /** Positions taken from the prefix cache when the sequence started. */
    public int reused() {
        return reused;
    }

    /** Positions computed so far. */
    public int position() {
        return position;
    }

    /** Blocks held now. */
    public int blocks() {
        return blocks.size();
    }

    /** Room for {@code positions} positions; false (nothing taken) when the budget cannot hold them. */
    public boolean ensure(int positions) {
        if (positions > maxPositions) throw new IllegalStateException("position " + positions + " is past the context length " + maxPositions);
        int need = KvBlocks.blocksFor(positions) - blocks.size();
        if (need <= 0) return true;
        if (pool.available() < need) return false;
        for (int i = 0; i < need; i++) blocks.add(pool.take());
        return true;
    }

    KvBlock block(int position) {
        return blocks.get(position / KvBlocks.BLOCK);
    }

    /** Records the token run at {@code pos}; a block it fills is published for reuse. */
    void ran(int pos, int token) {
        ensureTokens(pos + 1);
        tokens[pos] = token;
        position = Math.max(position, pos + 1);
        while ((publishedBlocks + 1) * KvBlocks.BLOCK <= position) {
            KvBlock b = blocks.get(publishedBlocks);
            pool.publish(b, lastHash, tokens, publishedBlocks * KvBlocks.BLOCK);
            lastHash = KvBlocks.hash(lastHash, tokens, publishedBlocks * KvBlocks.BLOCK);
            publishedBlocks++;
        }
    }

    private void ensureTokens(int n) {
        if (n > tokens.length) tokens = Arrays.copyOf(tokens, Math.max(n, tokens.length * 2));
    }

    /** Bytes of the blocks held. */
    long bytes(ModelConfig c) {
        return blocks.size() * KvBlocks.blockBytes(c);
    }

    /** Gives the blocks back; a part-filled last block stays cached for prompts that continue these tokens. */
    @Override
    public void close() {
        int filled = position % KvBlocks.BLOCK;
        if (filled > 0 && publishedBlocks == position / KvBlocks.BLOCK && publishedBlocks < blocks.size()) {
            pool.publishPart(blocks.get(publishedBlocks), lastHash, tokens, publishedBlocks * KvBlocks.BLOCK, filled);
        }
        for (KvBlock b : blocks) pool.release(b);
        blocks.clear();
    }
}
