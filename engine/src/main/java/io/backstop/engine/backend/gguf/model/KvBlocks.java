package io.backstop.engine.backend.gguf.model;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The KV memory of a model under one budget, in blocks of {@link #BLOCK} positions (vLLM's paged
 * attention, on the heap): sequences take blocks as they grow and give them back when they end, so
 * memory follows the tokens actually held and never exceeds the budget. Full blocks are published
 * under a hash of every token up to their end; a new sequence whose prompt starts with the same tokens
 * takes them instead of recomputing them (the prefix cache). Published blocks nobody holds stay
 * cached until their memory is needed, the least recently released first.
 *
 * <p>Used by the one thread that drives the model; {@link #usage()} may be read from any thread.
 */
public final class KvBlocks {
    /** Positions per block. */
    public static final int BLOCK = 16;

    private final int layers, kvDim, vDim;
    private final int maxBlocks;
    private final ArrayDeque<KvBlock> free = new ArrayDeque<>();
    private final Map<Long, KvBlock> published = new HashMap<>();
    /** Published blocks no sequence holds, least recently released first: evicted in this order. */
    private final LinkedHashMap<Long, KvBlock> idle = new LinkedHashMap<>();
    private int created;
    private int held;
    private long hits, tokensSaved;
    /** False for a sequence's private, unbounded pool: nothing to share. */
    private final boolean caching;

    /** @param maxBlocks the budget in blocks; Integer.MAX_VALUE for a pool that grows freely */
    public KvBlocks(ModelConfig c, int maxBlocks) {
        if (maxBlocks < 1) throw new IllegalArgumentException("KV budget of " + maxBlocks + " blocks");
        this.layers = c.layers();
        this.kvDim = c.kvDim();
        this.vDim = c.vDim();
        this.maxBlocks = maxBlocks;
        this.caching = maxBlocks != Integer.MAX_VALUE;
    }

    /** An empty sequence whose blocks come from this pool. */
    public KvCache newSequence(int maxPositions) {
        return new KvCache(this, maxPositions);
    }

    /** Bytes of one block: keys and values of every layer, F32. */
    public static long blockBytes(ModelConfig c) {
        return (long) BLOCK * (c.kvDim() + c.vDim()) * Float.BYTES * c.layers();
    }

    /** Blocks that {@code positions} positions take. */
    public static int blocksFor(int positions) {
        return (positions + BLOCK - 1) / BLOCK;
    }

    /** Counters for metrics: blocks in the budget, held by sequences, cached for reuse; prefix hits and tokens they saved. */
    public record Usage(int total, int used, int cached, long prefixHits, long prefixTokensSaved) {
        public int free() {
            return total - used;
        }
    }

    public synchronized Usage usage() {
        return new Usage(maxBlocks, held, idle.size(), hits, tokensSaved);
    }

    /** Blocks that can be taken now (unused budget, free blocks and cached blocks nobody holds). */
    synchronized int available() {
        return maxBlocks - held;
    }

    /** A block for a sequence, or null when the budget is spent (a cached block nobody holds is evicted first). */
    synchronized KvBlock take() {
        KvBlock b = free.poll();
        if (b == null && created < maxBlocks) {
            b = new KvBlock(layers, kvDim, vDim);
            created++;
        }
        if (b == null && !idle.isEmpty()) {
            Iterator<KvBlock> oldest = idle.values().iterator();
            b = oldest.next();
            oldest.remove();
            published.remove(b.hash);
            b.published = false;
        }
        if (b == null) return null;
        b.refs = 1;
        held++;
        return b;
    }

    /** A sequence lets go of a block: the last holder frees it, or leaves it cached when published. */
    synchronized void release(KvBlock b) {
        if (--b.refs > 0) return;
        held--;
        if (b.published) idle.put(b.hash, b);
        else free.add(b);
    }

    /** Makes a full block findable by sequences that start with the same tokens (unless an equal one already is). */
    synchronized void publish(KvBlock b, long parentHash, int[] tokens, int off) {
        if (!caching) return;
        long hash = hash(parentHash, tokens, off);
        if (b.published || published.containsKey(hash)) return;
        System.arraycopy(tokens, off, b.tokens, 0, BLOCK);
        b.parentHash = parentHash;
        b.hash = hash;
        b.published = true;
        published.put(hash, b);
    }

    /** The cached block that follows {@code parentHash} with tokens[off .. off + BLOCK), held for the caller; or null. */
    synchronized KvBlock lookup(long parentHash, int[] tokens, int off) {
        long hash = hash(parentHash, tokens, off);
        KvBlock b = published.get(hash);
        if (b == null || b.parentHash != parentHash || !Arrays.equals(b.tokens, 0, BLOCK, tokens, off, off + BLOCK)) return null;
        if (b.refs++ == 0) {
            idle.remove(hash);
            held++;
        }
        return b;
    }

    synchronized void countHit(int tokens) {
        hits++;
        tokensSaved += tokens;
    }

    /** Hash of a block's tokens chained to the hash of everything before it. */
    static long hash(long parentHash, int[] tokens, int off) {
        long h = parentHash * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int i = off; i < off + BLOCK; i++) {
            h ^= tokens[i];
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }

    /** The hash before the first block. */
    static final long ROOT = 0x2545F4914F6CDD1DL;
}
