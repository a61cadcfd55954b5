package io.backstop.engine.backend.gguf;

import io.backstop.engine.backend.gguf.file.GgufMetadata;
import java.util.Map;

/** llama.cpp's names for {@code general.file_type} (the quantization mix a file was made with). */
final class FileType {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "F32"), Map.entry(1, "F16"), Map.entry(2, "Q4_0"), Map.entry(3, "Q4_1"), Map.entry(7, "Q8_0"),
            Map.entry(8, "Q5_0"), Map.entry(9, "Q5_1"), Map.entry(10, "Q2_K"), Map.entry(11, "Q3_K_S"), Map.entry(12, "Q3_K_M"),
            Map.entry(13, "Q3_K_L"), Map.entry(14, "Q4_K_S"), Map.entry(15, "Q4_K_M"), Map.entry(16, "Q5_K_S"),
            Map.entry(17, "Q5_K_M"), Map.entry(18, "Q6_K"), Map.entry(32, "BF16"));

    private FileType() {}

    /** The file type's name, else the tensor type holding the most bytes. */
    static String describe(GgufMetadata m, String dominantTensorType) {
        if (!m.has("general.file_type") || !(m.get("general.file_type") instanceof Long id)) return dominantTensorType;
        return NAMES.getOrDefault(id.intValue(), dominantTensorType);
    }
}
