package io.backstop.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Describes a loaded model.
 *
 * @param usablePositions positions the backend can compute (≤ contextLength; see the backend's limits)
 * @param chatTemplates   names of the chat templates the model ships ("default" first when present)
 * @param bytesByType     bytes of weights per tensor type (e.g. Q4_K → …, Q6_K → …), largest first; empty when unknown
 */
public record ModelInfo(
        String name,
        Path path,
        String backend,
        String architecture,
        long parameterCount,
        String dtype,
        int contextLength,
        int usablePositions,
        int vocabSize,
        int hiddenSize,
        int layers,
        int attentionHeads,
        int kvHeads,
        int intermediateSize,
        List<String> chatTemplates,
        Map<String, Long> bytesByType) {

    public ModelInfo {
        chatTemplates = List.copyOf(chatTemplates);
        bytesByType = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(bytesByType));
    }

    /** Without a per-type breakdown. */
    public ModelInfo(String name, Path path, String backend, String architecture, long parameterCount, String dtype, int contextLength,
                     int usablePositions, int vocabSize, int hiddenSize, int layers, int attentionHeads, int kvHeads,
                     int intermediateSize, List<String> chatTemplates) {
        this(name, path, backend, architecture, parameterCount, dtype, contextLength, usablePositions, vocabSize, hiddenSize,
                layers, attentionHeads, kvHeads, intermediateSize, chatTemplates, Map.of());
    }
}
