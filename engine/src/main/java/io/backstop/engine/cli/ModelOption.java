package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model PATH}, {@code --backend} and {@code --threads N}, shared by the commands that load a model. */
public final class ModelOption {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "A GGUF file, a folder with one .gguf file, or a Hugging Face model directory (config.json, tokenizer.json, *.safetensors).")
    Path model;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "native (GGUF, our engine) or jlama (safetensors); default: chosen by what --model holds.")
    String backend;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Compute threads per forward pass (default: physical cores).")
    int threads;

    Model load(LoadOptions options) {
        if (threads < 0) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--threads must be 0 or more, got " + threads);
        if (backend != null && !backend.equals("native") && !backend.equals("jlama")) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--backend must be native or jlama, got '" + backend + "'");
        }
        return Engine.load(model, options.withThreads(threads).withBackend(backend));
    }
}
