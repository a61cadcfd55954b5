package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --model DIR} and {@code --threads N}, shared by the commands that load a model. */
public final class ModelOption {
    /** Jlama sizes its compute pool once; more threads than this is a typo. */
    static final int MAX_THREADS = 1024;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, tokenizer.json, *.safetensors).")
    Path model;

    private int threads;

    /** Checked while parsing, so a bad value stops the command before anything loads. */
    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Compute threads per forward pass (default: physical cores).")
    void threads(int n) {
        if (n < 0 || n > MAX_THREADS) throw CliErrors.usage(spec, "--threads must be between 0 (physical cores) and " + MAX_THREADS + ", got " + n);
        threads = n;
    }

    Model load(LoadOptions options) {
        return Engine.load(model, options.withThreads(threads));
    }
}
