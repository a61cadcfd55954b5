package io.backstop.engine.backend.gguf.tokenizer;

/**
 * Token ids by text, looked up by a span of a string without copying it (encoders probe many
 * substrings; loading probes every merge's parts). Open addressing over one long array holding each
 * entry's hash beside its id, so a probe touches the token's text only when the hashes agree, and a
 * vocabulary of 150K tokens is indexed in milliseconds without boxing. The first of duplicate texts wins.
 */
final class TextIndex {
    private final String[] texts;
    private final long[] slots; // hash << 32 | (id + 1); 0 = empty
    private final int mask;

    TextIndex(String[] texts) {
        this.texts = texts;
        int capacity = Integer.highestOneBit(Math.max(4, texts.length + texts.length / 2)) << 1; // load factor under 2/3
        this.slots = new long[capacity];
        this.mask = capacity - 1;
        for (int id = 0; id < texts.length; id++) {
            String t = texts[id];
            if (t.isEmpty()) continue; // llama.cpp renames empty tokens "[EMPTY_i]": never matched by text
            int h = hash(t, 0, t.length(), -1);
            int slot = h & mask;
            while (slots[slot] != 0 && !(hashOf(slots[slot]) == h && texts[idOf(slots[slot])].equals(t))) slot = (slot + 1) & mask;
            if (slots[slot] == 0) slots[slot] = ((long) h << 32) | (id + 1);
        }
    }

    int find(String s) {
        return find(s, 0, s.length(), -1);
    }

    /** The id of the token spelled {@code s[from, to)}, or -1. */
    int find(String s, int from, int to) {
        return find(s, from, to, -1);
    }

    /** The id of the token spelled {@code s[from, to)} without the character at {@code skip} (-1: none), or -1. */
    int find(String s, int from, int to, int skip) {
        int length = to - from - (skip >= 0 ? 1 : 0);
        int h = hash(s, from, to, skip);
        for (int slot = h & mask; slots[slot] != 0; slot = (slot + 1) & mask) {
            if (hashOf(slots[slot]) != h) continue;
            int id = idOf(slots[slot]);
            if (texts[id].length() == length && spells(texts[id], s, from, to, skip)) return id;
        }
        return -1;
    }

    private static int hashOf(long slot) {
        return (int) (slot >>> 32);
    }

    private static int idOf(long slot) {
        return (int) slot - 1;
    }

    private static boolean spells(String text, String s, int from, int to, int skip) {
        if (skip < 0) return text.regionMatches(0, s, from, to - from);
        int head = skip - from;
        return text.regionMatches(0, s, from, head) && text.regionMatches(head, s, skip + 1, to - skip - 1);
    }

    private static int hash(String s, int from, int to, int skip) {
        int h = 0;
        for (int i = from; i < to; i++) if (i != skip) h = 31 * h + s.charAt(i);
        h = (h ^ (h >>> 16)) * 0x85EB_CA6B; // murmur3's finalizer: spread every bit into the low ones we probe with
        h = (h ^ (h >>> 13)) * 0xC2B2_AE35;
        return h ^ (h >>> 16);
    }
}
