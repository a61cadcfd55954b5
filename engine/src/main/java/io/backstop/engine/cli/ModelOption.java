package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ModelFetchException;
import io.backstop.engine.hub.ModelSources;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model DIR} and {@code --threads N}, shared by the commands that load a model. */
public final class ModelOption {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, tokenizer.json, *.safetensors).")
    Path model;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Compute threads per forward pass (default: physical cores).")
    int threads;

    Model load(LoadOptions options) {
        if (threads < 0) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--threads must be 0 or more, got " + threads);
        return Engine.load(resolve(), options.withThreads(threads));
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
