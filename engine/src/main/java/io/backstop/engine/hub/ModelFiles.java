package io.backstop.engine.hub;

import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Decides which files of a model repository or directory Backstop needs. */
public final class ModelFiles {
    private static final List<String> EXACT = List.of(
            "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "model.safetensors.index.json", "README.md");

    private ModelFiles() {}

    /** True for a top-level file name (no directory part) that belongs to a runnable model. */
    public static boolean isModelFile(String fileName) {
        if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            return false; // sub-folders (e.g. original/, onnx/) hold other formats; also keeps paths safe
        }
        return EXACT.contains(fileName) || isWeights(fileName) || fileName.startsWith("LICENSE");
    }

    static boolean isWeights(String fileName) {
        return fileName.toLowerCase(Locale.ROOT).endsWith(".safetensors");
    }

    /**
     * The model files among {@code names}, in order. Mistral-style repos ship the same weights twice
     * (consolidated.safetensors next to model-*.safetensors); the duplicate is dropped to halve the download.
     */
    public static List<String> select(Collection<String> names) {
        List<String> picked = names.stream().filter(ModelFiles::isModelFile).sorted().toList();
        boolean hasHfWeights = picked.stream().anyMatch(n -> isWeights(n) && !n.startsWith("consolidated"));
        return hasHfWeights
                ? picked.stream().filter(n -> !(isWeights(n) && n.startsWith("consolidated"))).toList()
                : picked;
    }
}
