package io.backstop.bench.model;

import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import io.backstop.engine.backend.safetensors.SafetensorsHeader;
import java.nio.file.Files;
import java.nio.file.Path;

/** Bytes of weights a decode step reads, from the model's own safetensors headers or GGUF tensor table. */
public final class WeightBytes {
    private WeightBytes() {}

    /** All tensors, except that an untied embedding table is only indexed (one row per token). */
    public static long perToken(Path model) {
        if (Files.isRegularFile(model) && GgufFile.looksLikeGguf(model)) return ggufPerToken(model);
        SafetensorsHeader h = SafetensorsHeader.readDirectory(model);
        boolean tied = h.tensors().stream().noneMatch(t -> t.name().startsWith("lm_head."));
        long total = 0;
        for (SafetensorsHeader.Tensor t : h.tensors()) {
            long bytes = (long) Math.ceil(t.elements() * bytesPerElement(t.dtype()));
            if (!tied && t.name().startsWith("model.embed_tokens.")) {
                long rows = t.shape()[0];
                bytes = bytes / Math.max(1, rows);
            }
            total += bytes;
        }
        return total;
    }

    private static long ggufPerToken(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            boolean tied = f.tensor("output.weight") == null;
            long total = 0;
            for (GgufTensorInfo t : f.tensors()) {
                total += !tied && t.name().equals("token_embd.weight") ? t.byteSize() / t.rows() : t.byteSize();
            }
            return total;
        }
    }

    static double bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I8", "U8" -> 1;
            case "Q4" -> 0.5; // block scales are separate ".qb" F32 tensors, counted on their own
            default -> 4;
        };
    }
}
