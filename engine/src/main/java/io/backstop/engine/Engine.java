package io.backstop.engine;

import io.backstop.engine.backend.Backend;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.BackendOptions;
import io.backstop.engine.backend.jlama.JlamaBackend;
import io.backstop.engine.backend.jlama.JlamaQuantizer;
import io.backstop.engine.hub.ModelNames;
import io.backstop.engine.schedule.Scheduler;
import io.backstop.engine.text.ChatTemplates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Entry point: load models and convert them. */
public final class Engine {
    private static final List<Backend> BACKENDS = List.of(new JlamaBackend());

    private Engine() {}

    public static Model load(Path path) {
        return load(path, LoadOptions.defaults());
    }

    public static Model load(Path path, LoadOptions options) {
        Path dir = modelDir(path);
        BackendModel model = backendFor(dir, path).load(dir, new BackendOptions(options.threads(), options.workDir()));
        String name = options.name() != null ? options.name() : ModelNames.of(dir);
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
     * Checks, without loading the weights, that a model has the chat template a request would use: the
     * named one (one it ships, {@code raw} or {@code chatml}), or its own when {@code template} is null.
     *
     * @throws InvalidRequestException (field {@code template}) naming the templates there are
     * @throws ModelLoadException when the path is not a model
     */
    public static void checkChatTemplate(Path path, String template) {
        Path dir = modelDir(path);
        new ChatTemplates(ModelNames.of(dir), chatTemplates(path), Map.of(), null).resolve(template);
    }

    /** The chat templates a model ships (name → source; "default" for its main one), read without loading the weights. */
    public static Map<String, String> chatTemplates(Path path) {
        Path dir = modelDir(path);
        return backendFor(dir, path).chatTemplates(dir);
    }

    private static Path modelDir(Path path) {
        Path dir = path.toAbsolutePath().normalize();
        if (!Files.exists(dir)) throw new ModelLoadException("model path does not exist: " + path);
        return Files.isRegularFile(dir) ? dir.getParent() : dir;
    }

    private static Backend backendFor(Path dir, Path given) {
        return BACKENDS.stream().filter(b -> b.canLoad(dir)).findFirst()
                .orElseThrow(() -> new ModelLoadException("no backend can load " + given
                        + ": expected a Hugging Face model directory (config.json, tokenizer.json, *.safetensors)"));
    }

    /**
     * Writes a quantized copy of a model directory. Only Q4 is offered: Jlama 0.8.4 cannot quantize
     * Llama layers at load time, and the Q8 weights it writes fail at inference.
     */
    public static Path quantize(Path source, Path target, String type) {
        return JlamaQuantizer.quantize(source, target, type);
    }

    /**
     * The quantization a {@code type} names (upper-cased), checked before any work.
     *
     * @throws InvalidRequestException (field {@code type}) for a type that is not offered
     */
    public static String checkQuantization(String type) {
        return JlamaQuantizer.checkType(type);
    }
}
