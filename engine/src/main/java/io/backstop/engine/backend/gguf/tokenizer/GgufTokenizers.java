package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgufMetadata;

/** Chooses the tokenizer implementation a GGUF file's metadata asks for. */
final class GgufTokenizers {
    private GgufTokenizers() {}

    static GgufTokenizer from(GgufMetadata metadata) {
        // Placeholder until the SentencePiece and byte-level BPE tokenizers land (being written now).
        throw new ModelLoadException("GGUF tokenizer '" + metadata.string("tokenizer.ggml.model", "?") + "' is not supported yet");
    }
}
