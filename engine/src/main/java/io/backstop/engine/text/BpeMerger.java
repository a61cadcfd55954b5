package io.backstop.engine.text;

/**
 * Byte-pair merging in O(n log n), shared by every BPE-style encoder (SentencePiece scores, GPT-2
 * merge ranks, Jlama's merges): repeatedly merges the adjacent pair of symbols whose merge has the
 * lowest priority, leftmost first among equals, until no adjacent pair merges.
 *
 * <p>Candidates sit in a binary heap of packed longs (priority, left index), so merging allocates
 * nothing per step. Each symbol also remembers the merge of the pair it currently starts, recomputed
 * whenever that pair changes; a popped candidate counts only when it has that merge's priority. That
 * is exact: every live pair was pushed with its own key when it formed, and a stale key equal to a
 * live pair's key stands for the very same merge.
 */
public final class BpeMerger {
    /** Returned by a rule for a pair that does not merge. */
    public static final long NONE = -1L;

    /** How two adjacent symbols merge. */
    @FunctionalInterface
    public interface Rule {
        /**
         * The merge of the symbol {@code leftId} spanning {@code [start, mid)} with {@code rightId}
         * spanning {@code [mid, end)} as {@link #pack}(priority, merged id), or {@link #NONE}.
         * Offsets are in whatever units the caller gave the symbol lengths in.
         */
        long merge(int leftId, int rightId, int start, int mid, int end);
    }

    private BpeMerger() {}

    /** A merge: lower priorities merge first; the merged id must be non-negative. */
    public static long pack(int priority, int mergedId) {
        return ((long) priority << 32) | (mergedId & 0xFFFF_FFFFL);
    }

    /** A priority for a score where higher scores merge first (SentencePiece), as an order-preserving int. */
    public static int priorityOfScore(float score) {
        int bits = Float.floatToIntBits(-score + 0.0f); // + 0.0f turns -0.0 into 0.0: equal scores tie
        return bits >= 0 ? bits : bits ^ 0x7FFF_FFFF;
    }

    /**
     * Merges the symbols {@code ids[0..n)} (lengths {@code lengths[0..n)}, all positive) in place.
     *
     * @return how many symbols remain; their ids and lengths are then {@code ids[0..k)}, {@code lengths[0..k)}
     */
    public static int merge(int[] ids, int[] lengths, int n, Rule rule) {
        if (n < 2) return n;
        int[] start = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        long[] pair = new long[n]; // the merge of (i, next[i]) as the rule gave it, or NONE
        for (int i = 0, offset = 0; i < n; i++) {
            start[i] = offset;
            offset += lengths[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        Heap heap = new Heap(3 * n); // n - 1 initial pairs, at most two new ones per merge
        pair[n - 1] = NONE;
        for (int i = 0; i + 1 < n; i++) heap.offer(candidate(ids, lengths, start, pair, rule, i, i + 1));
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int left = (int) top;
            int right = next[left];
            long merge = pair[left];
            if (lengths[left] == 0 || right < 0 || (int) merge < 0 || (merge >> 32) != (top >> 32)) continue; // stale: that pair changed since
            ids[left] = (int) merge;
            lengths[left] += lengths[right];
            lengths[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            pair[left] = NONE;
            if (prev[left] >= 0) heap.offer(candidate(ids, lengths, start, pair, rule, prev[left], left));
            if (next[left] >= 0) heap.offer(candidate(ids, lengths, start, pair, rule, left, next[left]));
        }
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            ids[k] = ids[i];
            lengths[k++] = lengths[i];
        }
        return k;
    }

    /** Records the merge of the pair (left, right) and returns its heap key (priority, left), or NONE. */
    private static long candidate(int[] ids, int[] lengths, int[] start, long[] pair, Rule rule, int left, int right) {
        long merge = rule.merge(ids[left], ids[right], start[left], start[right], start[right] + lengths[right]);
        pair[left] = (int) merge < 0 ? NONE : merge;
        return (int) merge < 0 ? NONE : (merge & 0xFFFF_FFFF_0000_0000L) | left;
    }

    /** A min-heap of longs: (priority << 32 | left index) orders by priority, then leftmost. */
    private static final class Heap {
        private final long[] items;
        private int size;

        Heap(int capacity) {
            items = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void offer(long item) {
            if (item == NONE) return;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (items[parent] <= item) break;
                items[i] = items[parent];
                i = parent;
            }
            items[i] = item;
        }

        long poll() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && items[child + 1] < items[child]) child++;
                if (items[child] >= last) break;
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }
}
