package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.text.BpeMerger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BPE merges ({@code tokenizer.ggml.merges}, {@code "left right"} in rank order) as a hash table from
 * a pair of symbol ids to (rank, merged symbol id), so merging compares ints, not strings.
 * Symbols are the vocabulary's tokens plus, past them, any merge part or result that is no token
 * (llama.cpp merges by text, tokens or not).
 */
final class MergeTable implements BpeMerger.Rule {
    private static final long EMPTY = -1L;

    private final int tokens;
    private final String[] symbolTexts;
    private final int[] byteSymbols;
    private final long[] entries; // key at 2i, value at 2i + 1: one cache line per probe
    private final int mask;

    private MergeTable(int tokens, String[] symbolTexts, int[] byteSymbols, long[] entries) {
        this.tokens = tokens;
        this.symbolTexts = symbolTexts;
        this.byteSymbols = byteSymbols;
        this.entries = entries;
        this.mask = entries.length / 2 - 1;
    }

    static MergeTable build(TokenTable table, String[] merges) {
        Symbols symbols = new Symbols(table);
        int capacity = Integer.highestOneBit(Math.max(4, merges.length + merges.length / 2)) << 1; // load factor under 2/3
        long[] entries = new long[2 * capacity];
        for (int i = 0; i < entries.length; i += 2) entries[i] = EMPTY;
        for (int rank = 0; rank < merges.length; rank++) {
            String merge = merges[rank];
            int space = merge.indexOf(' ', 1); // a first part may itself be a space
            if (space < 0) continue; // llama.cpp ranks it as an empty pair, which never matches
            long key = key(symbols.id(merge, 0, space, -1), symbols.id(merge, space + 1, merge.length(), -1));
            int slot = slot(entries, capacity - 1, key);
            if (entries[2 * slot] != EMPTY) continue; // the first rank of a repeated pair wins
            entries[2 * slot] = key;
            entries[2 * slot + 1] = BpeMerger.pack(rank, symbols.id(merge, 0, merge.length(), space)); // the parts joined
        }
        int[] byteSymbols = new int[256];
        for (int b = 0; b < 256; b++) byteSymbols[b] = symbols.id(String.valueOf(ByteLevel.charOf(b)), 0, 1, -1);
        return new MergeTable(table.size(), symbols.texts(), byteSymbols, entries);
    }

    /** The symbol a word starts with for this byte: its byte-level character. */
    int byteSymbol(int unsignedByte) {
        return byteSymbols[unsignedByte];
    }

    @Override
    public long merge(int leftId, int rightId, int start, int mid, int end) {
        long key = key(leftId, rightId);
        int slot = slot(entries, mask, key);
        return entries[2 * slot] == key ? entries[2 * slot + 1] : BpeMerger.NONE;
    }

    /** Whether a symbol is a token (else it only exists as a merge part). */
    boolean isToken(int symbol) {
        return symbol < tokens;
    }

    String text(int symbol) {
        return symbolTexts[symbol];
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | right;
    }

    /** Linear probing: the slot holding key, or the empty slot where it would go. */
    private static int slot(long[] entries, int mask, long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (entries[2 * i] != EMPTY && entries[2 * i] != key) i = (i + 1) & mask;
        return i;
    }

    /** Symbol ids by text: tokens first, then other texts as they are met. */
    static final class Symbols {
        private final TokenTable table;
        private final Map<String, Integer> extra = new HashMap<>();
        private final List<String> extraTexts = new ArrayList<>();

        Symbols(TokenTable table) {
            this.table = table;
        }

        /** The symbol spelled {@code s[from, to)} without the character at {@code skip} (-1: none). */
        int id(String s, int from, int to, int skip) {
            int id = table.id(s, from, to, skip);
            if (id >= 0) return id;
            String text = skip < 0 ? s.substring(from, to) : s.substring(from, skip) + s.substring(skip + 1, to);
            return extra.computeIfAbsent(text, t -> {
                extraTexts.add(t);
                return table.size() + extraTexts.size() - 1;
            });
        }

        String[] texts() {
            String[] out = new String[table.size() + extraTexts.size()];
            for (int i = 0; i < table.size(); i++) out[i] = table.text(i);
            for (int i = 0; i < extraTexts.size(); i++) out[table.size() + i] = extraTexts.get(i);
            return out;
        }
    }
}
