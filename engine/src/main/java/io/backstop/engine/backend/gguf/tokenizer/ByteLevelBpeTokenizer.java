package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import io.backstop.engine.text.BpeMerger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code gpt2} tokenizer: byte-level BPE as llama.cpp runs it. The pre-tokenizer cuts text into
 * words; each word's UTF-8 bytes start as symbols (one byte-level character each) and the adjacent
 * pair of lowest merge rank merges first (leftmost among equals).
 */
final class ByteLevelBpeTokenizer extends FragmentTokenizer {
    static final String MERGES = "tokenizer.ggml.merges";
    /** Words recently encoded: text repeats its words, so most need no merging (as Hugging Face's tokenizers cache them). */
    private static final int CACHED_WORDS = 16_384;
    private static final int CACHED_WORD_LENGTH = 64;

    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final PreTokenizer preTokenizer;
    private final MergeTable merges;

    private ByteLevelBpeTokenizer(TokenTable table, SpecialTokens specials, SpecialTokenSplitter splitter, PreTokenizer preTokenizer, MergeTable merges) {
        super(table, specials, splitter, new GgufVocabulary(table, id -> ByteLevel.decode(table.text(id)), false));
        this.preTokenizer = preTokenizer;
        this.merges = merges;
    }

    static ByteLevelBpeTokenizer read(GgufMetadata m) {
        PreTokenizer pre = PreTokenizer.named(m.string("tokenizer.ggml.pre", ""));
        if (!m.has(MERGES)) throw new ModelLoadException("GGUF metadata '" + MERGES + "' is missing: a gpt2 tokenizer needs its merges");
        TokenTable table = TokenTable.read(m);
        MergeTable merges = MergeTable.build(table, m.strings(MERGES));
        SpecialTokens specials = SpecialTokens.read(m, table, new SpecialTokens.Defaults(-1, -1, -1, pre.addBos()));
        SpecialTokenSplitter splitter = SpecialTokenSplitter.of(table, m.string("general.name", ""));
        return new ByteLevelBpeTokenizer(table, specials, splitter, pre, merges);
    }

    @Override
    void encodePlain(String text, int start, int end, boolean afterSpecial, IntList out) {
        preTokenizer.split(text, start, end, (from, to) -> {
            String word = text.substring(from, to);
            int[] ids = cache.get(word);
            if (ids == null) {
                ids = encodeWord(word.getBytes(StandardCharsets.UTF_8));
                if (word.length() <= CACHED_WORD_LENGTH) {
                    if (cache.size() >= CACHED_WORDS) cache.clear(); // bounded: start afresh rather than track recency
                    cache.put(word, ids);
                }
            }
            for (int id : ids) out.add(id);
        });
    }

    private int[] encodeWord(byte[] utf8) {
        IntList out = new IntList();
        if (preTokenizer.ignoreMerges()) {
            int whole = table.plainId(ByteLevel.encode(utf8));
            if (whole >= 0) return new int[] {whole};
        }
        int n = utf8.length;
        int[] symbols = new int[n];
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) symbols[i] = merges.byteSymbol(utf8[i] & 0xFF);
        Arrays.fill(lengths, 1);
        int left = BpeMerger.merge(symbols, lengths, n, merges);
        for (int i = 0; i < left; i++) {
            if (merges.isToken(symbols[i])) out.add(symbols[i]);
            else writeSingleCharacters(merges.text(symbols[i]), out);
        }
        return out.toArray();
    }

    /** A symbol that is no token: llama.cpp keeps the characters that are single-character tokens and drops the rest. */
    private void writeSingleCharacters(String symbol, IntList out) {
        for (int i = 0; i < symbol.length(); i++) {
            char c = symbol.charAt(i);
            int id = c < 0x80 ? table.plainId(String.valueOf(c)) : -1;
            if (id >= 0) out.add(id);
        }
    }
}
