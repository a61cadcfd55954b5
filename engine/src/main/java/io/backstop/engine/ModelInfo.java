package io.backstop.engine;

import java.nio.file.Path;
import java.util.List;

/**
 * Describes a loaded model.
 *
 * @param usablePositions positions the backend can compute (≤ contextLength; see the backend's limits)
 * @param chatTemplates   names of the chat templates the model ships ("default" first when present)
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
        List<String> chatTemplates) {}
