package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgufMetadata;

/** Chooses the tokenizer implementation a GGUF file's metadata asks for ({@code tokenizer.ggml.model}). */
final class GgufTokenizers {
    private GgufTokenizers() {}

    static GgufTokenizer from(GgufMetadata metadata) {
        String model = metadata.string("tokenizer.ggml.model");
        return switch (model) {
            case "llama" -> SentencePieceTokenizer.read(metadata);
            case "gpt2" -> ByteLevelBpeTokenizer.read(metadata);
            default -> throw new ModelLoadException("GGUF tokenizer '" + model + "' (tokenizer.ggml.model) is not supported; supported: llama (SentencePiece), gpt2 (byte-level BPE)");
        };
    }
}
