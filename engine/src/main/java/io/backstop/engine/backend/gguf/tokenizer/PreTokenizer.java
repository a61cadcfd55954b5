package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.ModelLoadException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizer a byte-level BPE vocabulary names in {@code tokenizer.ggml.pre}: regular
 * expressions that cut text into words before BPE merges within each word. Several expressions apply
 * in turn, each cutting every piece the previous ones left (text between matches stays a piece of its
 * own), as llama.cpp's {@code unicode_regex_split} does. {@code \s} is Unicode White_Space and
 * {@code \p{L}}/{@code \p{N}} are Unicode letters/numbers, as in llama.cpp's own splitters.
 *
 * @param ignoreMerges a word that is a token as a whole is that token, merges or not (Llama 3)
 * @param addBos       whether prompts start with BOS when the file does not say
 */
record PreTokenizer(String name, List<Pattern> patterns, boolean ignoreMerges, boolean addBos) {
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = LLAMA3.replace("\\p{N}{1,3}", "\\p{N}");

    /** Each family and the names llama.cpp gives it. */
    private static final Map<String, PreTokenizer> BY_NAME = new LinkedHashMap<>();

    static {
        family(List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"), false, false, "default");
        family(List.of(GPT2), false, false, "gpt-2", "phi-2", "mpt", "olmo");
        family(List.of(LLAMA3), true, true, "llama-bpe", "llama3", "llama-v3", "falcon3");
        family(List.of(LLAMA3), false, false, "dbrx", "smaug-bpe");
        family(List.of(QWEN2), false, false, "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez");
        family(List.of("\\p{N}", GPT2), false, false, "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b");
    }

    private static void family(List<String> regexes, boolean ignoreMerges, boolean addBos, String... names) {
        List<Pattern> patterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS)).toList();
        for (String name : names) BY_NAME.put(name, new PreTokenizer(name, patterns, ignoreMerges, addBos));
    }

    /** The pre-tokenizer of this name; none named means {@code default}, as in llama.cpp. */
    static PreTokenizer named(String name) {
        PreTokenizer p = BY_NAME.get(name == null || name.isEmpty() ? "default" : name);
        if (p == null) {
            throw new ModelLoadException("GGUF pre-tokenizer '" + name + "' (tokenizer.ggml.pre) is not supported; supported: " + String.join(", ", BY_NAME.keySet()));
        }
        return p;
    }

    /** Receives the words of a text as spans. */
    @FunctionalInterface
    interface WordSink {
        void word(int start, int end);
    }

    /** Cuts {@code text[start, end)} into words, in order. */
    void split(String text, int start, int end, WordSink sink) {
        if (patterns.size() == 1) {
            cut(patterns.getFirst(), text, start, end, sink);
            return;
        }
        List<int[]> pieces = List.of(new int[] {start, end});
        for (Pattern p : patterns) {
            List<int[]> next = new ArrayList<>();
            for (int[] piece : pieces) cut(p, text, piece[0], piece[1], (s, e) -> next.add(new int[] {s, e}));
            pieces = next;
        }
        for (int[] piece : pieces) sink.word(piece[0], piece[1]);
    }

    /** Matches within the span only: lookaheads see its end as the end of text, as llama.cpp's splitters do. */
    private static void cut(Pattern pattern, String text, int start, int end, WordSink sink) {
        Matcher m = pattern.matcher(text).region(start, end);
        int at = start;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (m.start() > at) sink.word(at, m.start());
            sink.word(m.start(), m.end());
            at = m.end();
        }
        if (at < end) sink.word(at, end);
    }
}
