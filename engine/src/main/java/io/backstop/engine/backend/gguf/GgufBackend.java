package io.backstop.engine.backend.gguf;

import io.backstop.engine.ModelInfo;
import io.backstop.engine.backend.Backend;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.BackendOptions;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.model.ModelConfig;
import io.backstop.engine.backend.gguf.model.Transformer;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import io.backstop.engine.backend.gguf.tokenizer.GgufTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs GGUF files on the native engine (pure Java: FFM mapping, Vector API kernels). */
public final class GgufBackend implements Backend {
    public static final String NAME = "native";

    @Override
    public String name() {
        return NAME;
    }

    /** A GGUF file (by its magic, whatever its name). */
    @Override
    public boolean canLoad(Path model) {
        return Files.isRegularFile(model) && GgufFile.looksLikeGguf(model);
    }

    @Override
    public BackendModel load(Path path, BackendOptions options) {
        GgufFile file = GgufFile.open(path);
        ComputePool pool = null;
        try {
            Transformer transformer = Transformer.of(file, options.oneSequence() ? DecodeLayout.ONE_SEQUENCE : DecodeLayout.BATCH);
            GgufTokenizer tokenizer = GgufTokenizer.from(file.metadata());
            Map<String, String> templates = chatTemplates(file.metadata());
            pool = ComputePool.shared(options.threads());
            return new GgufModel(file, transformer, tokenizer, pool, info(file, transformer.config(), templates), templates);
        } catch (RuntimeException e) {
            if (pool != null) pool.close();
            file.close();
            throw e;
        }
    }

    /** The file's chat templates, read from its metadata without touching the weights. */
    @Override
    public Map<String, String> chatTemplates(Path model) {
        try (GgufFile file = GgufFile.open(model)) {
            return chatTemplates(file.metadata());
        }
    }

    /** {@code tokenizer.chat_template} as "default", and each {@code tokenizer.chat_template.NAME} by its name. */
    static Map<String, String> chatTemplates(GgufMetadata m) {
        Map<String, String> out = new LinkedHashMap<>();
        String prefix = "tokenizer.chat_template";
        if (m.has(prefix)) out.put("default", m.string(prefix));
        for (String key : m.keys()) {
            if (key.startsWith(prefix + ".") && m.get(key) instanceof String s) out.put(key.substring(prefix.length() + 1), s);
        }
        return out;
    }

    private static ModelInfo info(GgufFile file, ModelConfig c, Map<String, String> templates) {
        Map<String, Long> bytes = new LinkedHashMap<>();
        long parameters = 0;
        for (GgufTensorInfo t : file.tensors()) {
            bytes.merge(t.type().name(), t.byteSize(), Long::sum);
            parameters += t.elements();
        }
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(bytes.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        Map<String, Long> bySize = new LinkedHashMap<>();
        sorted.forEach(e -> bySize.put(e.getKey(), e.getValue()));
        String name = file.path().getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        return new ModelInfo(name, file.path().toAbsolutePath(), NAME, c.architecture().id(), parameters,
                FileType.describe(file.metadata(), sorted.isEmpty() ? "?" : sorted.get(0).getKey()), c.contextLength(), c.contextLength(),
                c.vocab(), c.dim(), c.layers(), c.heads(), c.kvHeads(), c.ffn(), List.copyOf(templates.keySet()), bySize);
    }
}
