package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ModelFetchException;
import io.backstop.engine.hub.ModelSources;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --model PATH}, {@code --backend} and {@code --threads N}, shared by the commands that load a model. */
public final class ModelOption {
    /** Jlama sizes its compute pool once; more threads than this is a typo. */
    static final int MAX_THREADS = 1024;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "A GGUF file, a folder with one .gguf, or a Hugging Face model directory (config.json, tokenizer.json, *.safetensors);"
                    + " ollama:NAME[:TAG] (a model Ollama pulled); owner/name:QUANT (a GGUF file, downloaded into models/ when missing).")
    Path model;

    private int threads;
    private String backend;

    /** Checked while parsing, so a bad value stops the command before anything loads. */
    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Compute threads per forward pass (default: physical cores).")
    void threads(int n) {
        if (n < 0 || n > MAX_THREADS) throw CliErrors.usage(spec, "--threads must be between 0 (physical cores) and " + MAX_THREADS + ", got " + n);
        threads = n;
    }

    @Option(names = "--backend", paramLabel = "NAME",
            description = "native (GGUF, our engine) or jlama (safetensors); default: chosen by what --model holds.")
    void backend(String b) {
        if (!b.equals("native") && !b.equals("jlama")) throw CliErrors.usage(spec, "--backend must be native or jlama, got '" + b + "'");
        backend = b;
    }

    Model load(LoadOptions options) {
        return Engine.load(resolve(), options.withThreads(threads).withBackend(backend));
    }

    /** ollama:NAME[:TAG] from the local Ollama store; owner/name:QUANT downloaded into models/ when missing. */
    private Path resolve() {
        try {
            return ModelSources.resolve(model.toString(), System.getenv(), ConsoleProgress.toStderr());
        } catch (ModelFetchException e) {
            throw new ModelLoadException(e.getMessage());
        }
    }
}
