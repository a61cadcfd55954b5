package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.backend.gguf.file.GgufMetadata;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The special ids of a vocabulary: BOS, EOS, unknown, whether prompts start with BOS, and every token
 * that ends generation. Ids come from {@code tokenizer.ggml.*_token_id}; as in llama.cpp, tokens are
 * also recognised by their text (end-of-turn, fill-in-the-middle), because converters often leave the
 * ids out, and such control-looking tokens are typed CONTROL whatever the file says.
 */
record SpecialTokens(int bos, int eos, int unknown, boolean addBos, Set<Integer> endOfGeneration) {
    private static final String PREFIX = "tokenizer.ggml.";

    /** End-of-generation tokens recognised by text (llama.cpp's list). */
    private static final List<String> END_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>");
    /** End-of-turn texts beyond END_TEXTS, used when the file names no eot id. */
    private static final List<String> EOT_TEXTS = List.of("<｜end▁of▁sentence｜>");
    /** Fill-in-the-middle tokens: control tokens; pad, repo and file separators also end generation. */
    private static final List<String> FIM_TEXTS = List.of("<|fim_prefix|>", "<fim-prefix>", "<｜fim▁begin｜>", "<PRE>",
            "<|fim_suffix|>", "<fim-suffix>", "<｜fim▁hole｜>", "<SUF>", "<|fim_middle|>", "<fim-middle>", "<｜fim▁end｜>", "<MID>");
    private static final List<String> FIM_END_TEXTS = List.of("<|fim_pad|>", "<fim-pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>",
            "<fim-repo>", "<REPO>", "<|file_sep|>");

    /** The model type's defaults: what llama.cpp assumes when the file does not say. */
    record Defaults(int bos, int eos, int unknown, boolean addBos) {}

    static SpecialTokens read(GgufMetadata m, TokenTable table, Defaults defaults) {
        int bos = id(m, table, "bos_token_id", defaults.bos());
        int eos = id(m, table, "eos_token_id", defaults.eos());
        int unknown = id(m, table, "unknown_token_id", defaults.unknown());
        boolean addBos = m.bool(PREFIX + "add_bos_token", defaults.addBos()) && bos >= 0;

        Set<Integer> end = new TreeSet<>();
        if (eos >= 0) end.add(eos);
        for (String key : List.of("eot_token_id", "eom_token_id", "fim_pad_token_id", "fim_rep_token_id", "fim_sep_token_id")) {
            int id = id(m, table, key, -1);
            if (id >= 0) end.add(id);
        }
        for (String text : FIM_TEXTS) control(table, text);
        for (String text : END_TEXTS) addControl(table, text, end);
        for (String text : FIM_END_TEXTS) addControl(table, text, end);
        if (!m.has(PREFIX + "eot_token_id")) for (String text : EOT_TEXTS) addControl(table, text, end);
        return new SpecialTokens(bos, eos, unknown, addBos, Collections.unmodifiableSet(end));
    }

    /** An id from metadata; out of range counts as absent, as in llama.cpp (which warns and keeps its default). */
    private static int id(GgufMetadata m, TokenTable table, String key, int fallback) {
        long id = m.integer(PREFIX + key, fallback);
        if (table.contains((int) id) && id == (int) id) return (int) id;
        return table.contains(fallback) ? fallback : -1;
    }

    private static void addControl(TokenTable table, String text, Set<Integer> into) {
        int id = control(table, text);
        if (id >= 0) into.add(id);
    }

    private static int control(TokenTable table, String text) {
        int id = table.id(text);
        if (id >= 0) table.markControl(id);
        return id;
    }

    /** What chat templates call {@code bos_token} and {@code eos_token}. */
    Map<String, String> texts(TokenTable table) {
        Map<String, String> out = new LinkedHashMap<>();
        if (bos >= 0) out.put("bos_token", table.text(bos));
        if (eos >= 0) out.put("eos_token", table.text(eos));
        return Map.copyOf(out);
    }
}
