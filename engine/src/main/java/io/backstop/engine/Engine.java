package io.backstop.engine;

import io.backstop.engine.backend.Backend;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.BackendOptions;
import io.backstop.engine.backend.jlama.JlamaBackend;
import io.backstop.engine.backend.jlama.JlamaQuantizer;
import io.backstop.engine.schedule.Scheduler;
import io.backstop.engine.text.ChatTemplates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Entry point: load models and convert them. */
public final class Engine {
    private static final List<Backend> BACKENDS = List.of(new JlamaBackend());

    private Engine() {}

    public static Model load(Path path) {
        return load(path, LoadOptions.defaults());
    }

    public static Model load(Path path, LoadOptions options) {
        Path dir = path.toAbsolutePath().normalize();
        if (!Files.exists(dir)) throw new ModelLoadException("model path does not exist: " + path);
        if (Files.isRegularFile(dir)) dir = dir.getParent();
        Path finalDir = dir;
        Backend backend = BACKENDS.stream().filter(b -> b.canLoad(finalDir)).findFirst()
                .orElseThrow(() -> new ModelLoadException("no backend can load " + path
                        + ": expected a Hugging Face model directory (config.json, tokenizer.json, *.safetensors)"));
        BackendModel model = backend.load(dir, new BackendOptions(options.threads(), options.workDir()));
        String name = options.name() != null ? options.name() : dir.getFileName().toString();
        try {
            ChatTemplates templates = new ChatTemplates(name, model.chatTemplates(), model.specialTokenTexts(), options.chatTemplate());
            if (options.chatTemplate() != null) templates.resolve(options.chatTemplate()); // fail at load, not at the first request
            return new Model(name, model, new Scheduler(name, options.maxInFlight(), options.queueSize()), templates);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Writes a quantized copy of a model directory. Only Q4 is offered: Jlama 0.8.4 cannot quantize
     * Llama layers at load time, and the Q8 weights it writes fail at inference.
     */
    public static Path quantize(Path source, Path target, String type) {
        return JlamaQuantizer.quantize(source, target, type);
    }
}
