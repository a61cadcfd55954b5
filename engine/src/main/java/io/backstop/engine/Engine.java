package io.backstop.engine;

import io.backstop.engine.backend.Backend;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.BackendOptions;
import io.backstop.engine.backend.gguf.GgufBackend;
import io.backstop.engine.backend.gguf.quant.GgufFileQuantizer;
import io.backstop.engine.backend.jlama.JlamaBackend;
import io.backstop.engine.backend.jlama.JlamaQuantizer;
import io.backstop.engine.hub.ModelNames;
import io.backstop.engine.backend.BatchRunner;
import io.backstop.engine.schedule.BatchScheduler;
import io.backstop.engine.schedule.WarmUp;
import io.backstop.engine.schedule.Scheduler;
import io.backstop.engine.text.ChatTemplates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** Entry point: load models and convert them. */
public final class Engine {
    private static final Backend JLAMA = new JlamaBackend();
    private static final Backend NATIVE = new GgufBackend();

    private Engine() {}

    public static Model load(Path path) {
        return load(path, LoadOptions.defaults());
    }

    public static Model load(Path path, LoadOptions options) {
        Choice choice = choose(path, options.backend());
        BackendModel model = choice.backend().load(choice.path(), new BackendOptions(options.threads(), options.workDir(), options.maxInFlight() == 1));
        String name = options.name() != null ? options.name() : defaultName(path, choice);
        try {
            ChatTemplates templates = new ChatTemplates(name, model.chatTemplates(), model.specialTokenTexts(), options.chatTemplate());
            if (options.chatTemplate() != null) templates.resolve(options.chatTemplate()); // fail at load, not at the first request
            int turns = options.maxInFlight() > 0 ? options.maxInFlight() : LoadOptions.DEFAULT_MAX_IN_FLIGHT;
            return new Model(name, model, new Scheduler(name, turns, options.queueSize()), templates, batching(name, model, options));
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Continuous batching when the backend offers it (the native one), warmed up ({@link WarmUp}), else null: one session per request. */
    private static BatchScheduler batching(String name, BackendModel model, LoadOptions options) {
        int prefill = options.prefillTokensPerStep();
        int sequences = options.maxInFlight() > 0 ? options.maxInFlight() : LoadOptions.DEFAULT_BATCH_IN_FLIGHT;
        BatchRunner runner = model.batchRunner(sequences, prefill, options.kvBudgetBytes());
        if (runner == null) return null;
        if (options.warmUp()) WarmUp.run(runner, sequences, prefill);
        return new BatchScheduler(name, runner, sequences, options.queueSize(), prefill, STREAM_BUFFER);
    }

    /** Events a stream may have waiting for a slow client before it is cancelled (a few seconds of tokens at any speed). */
    static final int STREAM_BUFFER = 1024;

    /**
     * Checks, without loading the weights, that a model has the chat template a request would use: the
     * named one (one it ships, {@code raw} or {@code chatml}), or its own when {@code template} is null.
     *
     * @throws InvalidRequestException (field {@code template}) naming the templates there are
     * @throws ModelLoadException when the path is not a model
     */
    public static void checkChatTemplate(Path path, String template) {
        Choice choice = choose(path, null);
        new ChatTemplates(defaultName(path, choice), choice.backend().chatTemplates(choice.path()), Map.of(), null).resolve(template);
    }

    /** The chat templates a model ships (name → source; "default" for its main one), read without loading the weights. */
    public static Map<String, String> chatTemplates(Path path) {
        Choice choice = choose(path, null);
        return choice.backend().chatTemplates(choice.path());
    }

    /** A backend and the path it loads: the GGUF file itself, or the model directory. */
    private record Choice(Backend backend, Path path) {}

    /**
     * By what the path holds: a GGUF file (by its magic) → native; a folder with exactly one {@code .gguf}
     * → native on it, several → an error listing them; otherwise a Hugging Face folder → Jlama.
     * {@code requested} ("native" or "jlama") overrides the choice.
     */
    private static Choice choose(Path path, String requested) {
        Path p = path.toAbsolutePath().normalize();
        if (!Files.exists(p)) throw new ModelLoadException("model path does not exist: " + path);
        String b = requested == null || requested.isBlank() ? "auto" : requested.trim().toLowerCase(Locale.ROOT);
        if (!b.equals("auto") && !b.equals(NATIVE.name()) && !b.equals(JLAMA.name())) {
            throw new ModelLoadException("unknown backend '" + requested + "' (use native or jlama)");
        }
        if (Files.isRegularFile(p)) {
            boolean gguf = NATIVE.canLoad(p) || p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
            if (gguf && b.equals(JLAMA.name())) {
                throw new ModelLoadException(path + " is a GGUF file; the Jlama backend reads Hugging Face safetensors folders (use --backend native)");
            }
            if (gguf) return new Choice(NATIVE, p); // a damaged .gguf gets the reader's message
            if (b.equals(NATIVE.name())) throw new ModelLoadException(path + " is not a GGUF file (the native backend reads GGUF)");
            p = p.getParent(); // a file inside a Hugging Face folder
        }
        List<Path> ggufs = ggufFiles(p);
        if (b.equals(JLAMA.name()) || (b.equals("auto") && ggufs.isEmpty())) {
            if (b.equals("auto") && !JLAMA.canLoad(p)) {
                throw new ModelLoadException("no backend can load " + path
                        + ": expected a GGUF file, a folder with one .gguf file, or a Hugging Face model directory (config.json, tokenizer.json, *.safetensors)");
            }
            return new Choice(JLAMA, p);
        }
        if (ggufs.isEmpty()) throw new ModelLoadException("no .gguf file in " + path + " (the native backend reads GGUF; use --backend jlama for safetensors)");
        if (ggufs.size() > 1) {
            throw new ModelLoadException(path + " holds " + ggufs.size() + " GGUF files; name one: "
                    + String.join(", ", ggufs.stream().map(f -> f.getFileName().toString()).toList()));
        }
        return new Choice(NATIVE, ggufs.get(0));
    }

    /** The GGUF file a path denotes (the file itself, or a folder's only .gguf), or null. */
    public static Path ggufFileOf(Path path) {
        if (Files.isRegularFile(path)) return NATIVE.canLoad(path) ? path : null;
        if (!Files.isDirectory(path)) return null;
        List<Path> ggufs = ggufFiles(path);
        return ggufs.size() == 1 ? ggufs.get(0) : null;
    }

    private static List<Path> ggufFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")).sorted().toList();
        } catch (IOException e) {
            throw new ModelLoadException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** A GGUF file given by itself goes by its name without the extension; a folder by {@link ModelNames}. */
    private static String defaultName(Path given, Choice choice) {
        Path p = given.toAbsolutePath().normalize();
        if (Files.isRegularFile(p) && choice.path().equals(p)) return p.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        return ModelNames.of(Files.isDirectory(p) ? p : choice.path());
    }

    /**
     * Writes a quantized copy of a model. A GGUF source (F32/F16/BF16) becomes a GGUF file of
     * {@code type} Q8_0, Q4_0, Q4_K_M or F16, the file llama-quantize writes; a Hugging Face directory
     * becomes a Jlama Q4 directory (Jlama 0.8.4 cannot quantize Llama layers at load time, and the Q8
     * weights it writes fail at inference).
     */
    public static Path quantize(Path source, Path target, String type) {
        Path gguf = ggufFileOf(source);
        if (gguf != null) return GgufFileQuantizer.quantize(gguf, target, GgufFileQuantizer.mix(type));
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
