package io.backstop.engine.backend.gguf.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The KV memory of a model under one budget, in blocks of {@link #BLOCK} positions (vLLM's paged
 * attention, on the heap): sequences take blocks as they grow and give them back when they end, so
 * memory follows the tokens actually held and never exceeds the budget. Full blocks are published
 * under a hash of every token up to their end; a new sequence whose prompt starts with the same tokens
 * takes them instead of recomputing them (the prefix cache). Where the prompt and the cache part within
 * a block (a prompt that is the start of an earlier one, or a sequence's last, part-filled block, which
 * is published when it ends), the positions they share are copied into a block of the new sequence's
 * own, so reuse is exact to the token as llama.cpp's {@code cache_prompt}. Published blocks nobody holds
 * stay cached until their memory is needed, the least recently released first.
 *
 * <p>Used by the one thread that drives the model; {@link #usage()} may be read from any thread.
 */
public final class KvBlocks {
    /** Positions per block. */
    public static final int BLOCK = 16;

    private final int layers, kvDim, vDim;
    private final int maxBlocks;
    private final ArrayDeque<KvBlock> free = new ArrayDeque<>();
    /** Full published blocks by hash. */
    private final Map<Long, KvBlock> published = new HashMap<>();
    /** Every published block (full or part-filled) by the hash of what precedes it: candidates for a partial copy. */
    private final Map<Long, List<KvBlock>> children = new HashMap<>();
    /** Published blocks no sequence holds, least recently released first: evicted in this order. */
    private final LinkedHashSet<KvBlock> idle = new LinkedHashSet<>();
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
            Iterator<KvBlock> oldest = idle.iterator();
            b = oldest.next();
            oldest.remove();
            unpublish(b);
        }
        if (b == null) return null;
        b.refs = 1;
        held++;
        return b;
    }

    /** Empties the prefix cache: every cached block nobody holds becomes free (after a warm-up, whose tokens serve nobody). */
    public synchronized void clearCache() {
        for (KvBlock b : idle) {
            unpublish(b);
            free.add(b);
        }
        idle.clear();
    }

    /** A sequence lets go of a block: the last holder frees it, or leaves it cached when published. */
    synchronized void release(KvBlock b) {
        if (--b.refs > 0) return;
        held--;
        if (b.published) idle.add(b);
        else free.add(b);
    }

    private void unpublish(KvBlock b) {
        if (b.filled == BLOCK) published.remove(b.hash);
        List<KvBlock> siblings = children.get(b.parentHash);
        siblings.remove(b);
        if (siblings.isEmpty()) children.remove(b.parentHash);
        b.published = false;
    }

    /** Makes a full block findable by sequences that start with the same tokens (unless an equal one already is). */
    synchronized void publish(KvBlock b, long parentHash, int[] tokens, int off) {
        if (!caching) return;
        long hash = hash(parentHash, tokens, off);
        if (b.published || published.containsKey(hash)) return;
        b.hash = hash;
        published.put(hash, b);
        publish(b, parentHash, tokens, off, BLOCK);
    }

    /**
     * Makes a sequence's part-filled last block, which it is letting go, a candidate for partial copies,
     * unless a published block after the same tokens already holds at least as many of its tokens.
     */
    synchronized void publishPart(KvBlock b, long parentHash, int[] tokens, int off, int filled) {
        if (!caching || b.published || b.refs != 1 || filled < 1 || filled >= BLOCK) return;
        if (longestCommon(parentHash, tokens, off, filled).common >= filled) return;
        publish(b, parentHash, tokens, off, filled);
    }

    private void publish(KvBlock b, long parentHash, int[] tokens, int off, int filled) {
        System.arraycopy(tokens, off, b.tokens, 0, filled);
        b.parentHash = parentHash;
        b.filled = filled;
        b.published = true;
        children.computeIfAbsent(parentHash, h -> new ArrayList<>(2)).add(b);
    }

    private record Match(KvBlock block, int common) {}

    /** The published block after {@code parentHash} whose first tokens agree longest with tokens[off .. off + limit). */
    private Match longestCommon(long parentHash, int[] tokens, int off, int limit) {
        KvBlock best = null;
        int most = 0;
        for (KvBlock c : children.getOrDefault(parentHash, List.of())) {
            int n = Math.min(c.filled, limit);
            int m = Arrays.mismatch(c.tokens, 0, n, tokens, off, off + n);
            int common = m < 0 ? n : m;
            if (common > most) {
                best = c;
                most = common;
            }
        }
        return new Match(best, most);
    }

    /**
     * A block of the caller's own holding copies of the first positions of the published block after
     * {@code parentHash} that agrees longest with tokens[off .. off + limit); its positions (0 when none
     * agrees or the budget has no block to copy into) are in {@link KvBlock#filled}.
     */
    synchronized KvBlock copyPrefix(long parentHash, int[] tokens, int off, int limit) {
        Match m = longestCommon(parentHash, tokens, off, limit);
        if (m.block == null) return null;
        KvBlock source = m.block;
        if (source.refs++ == 0) { // held while copying, so taking a block cannot evict it
            idle.remove(source);
            held++;
        }
        KvBlock copy = take();
        if (copy != null) {
            for (int l = 0; l < layers; l++) {
                System.arraycopy(source.keys[l], 0, copy.keys[l], 0, BLOCK * kvDim); // by dimension: all positions (later ones overwritten before read)
                System.arraycopy(source.values[l], 0, copy.values[l], 0, m.common * vDim);
            }
            copy.filled = m.common;
        }
        release(source);
        return copy;
    }

    /** The cached block that follows {@code parentHash} with tokens[off .. off + BLOCK), held for the caller; or null. */
    synchronized KvBlock lookup(long parentHash, int[] tokens, int off) {
        long hash = hash(parentHash, tokens, off);
        KvBlock b = published.get(hash);
        if (b == null || b.parentHash != parentHash || !Arrays.equals(b.tokens, 0, BLOCK, tokens, off, off + BLOCK)) return null;
        if (b.refs++ == 0) {
            idle.remove(b);
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
