package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import java.util.Map;
import java.util.Set;

/**
 * A tokenizer built from a GGUF file's {@code tokenizer.*} metadata: SentencePiece ({@code llama}) or
 * byte-level BPE ({@code gpt2}, with the pre-tokenizer named by {@code tokenizer.ggml.pre}), giving
 * llama.cpp's token ids. Immutable and thread-safe once built; it keeps no reference to the file.
 */
public interface GgufTokenizer {
    /**
     * Reads the tokenizer a model file describes.
     *
     * @throws io.backstop.engine.ModelLoadException for an unknown {@code tokenizer.ggml.model} or
     *         {@code tokenizer.ggml.pre} (naming it) or inconsistent token arrays; a missing or mistyped
     *         key surfaces as the metadata's {@link io.backstop.engine.backend.gguf.file.GgufFormatException}
     */
    static GgufTokenizer from(GgufMetadata metadata) {
        return GgufTokenizers.from(metadata);
    }

    /** The vocabulary as the engine sees it: token bytes, display pieces, special flags. */
    Vocabulary vocabulary();

    /**
     * Token ids for text; never adds BOS/EOS. With {@code parseSpecial} the texts of control tokens
     * (e.g. {@code <|im_start|>}) become their ids, as in chat-template output; without it they are
     * plain text. User-defined tokens (e.g. {@code <think>}) match either way, as in llama.cpp.
     */
    int[] encode(String text, boolean parseSpecial);

    /** The BOS id, or -1 when the vocabulary has none. */
    int bosId();

    /** Whether prompts start with BOS ({@code tokenizer.ggml.add_bos_token}, else the model type's default). */
    boolean addBos();

    /** Every id that ends generation: eos, eot, eom and the like (e.g. {@code <|eot_id|>}, {@code <|im_end|>}). */
    Set<Integer> endOfGenerationIds();

    /** Texts chat templates refer to: {@code bos_token}, {@code eos_token}. */
    Map<String, String> specialTokenTexts();
}
