package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.hub.ModelFetcher;
import io.backstop.engine.hub.ModelNames;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop quantize}: writes a Jlama-Q4 copy of a model directory. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write a quantized copy of a model directory (Jlama Q4) into models/, or where --output says.",
                "Q8 is refused: Jlama 0.8.4's Q8 weights fail at inference."})
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR", description = "Source model directory (F32/F16/BF16).")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR",
            description = "Output directory (default: models/<name>-Q4, <name> being the model's folder name, or for a folder such as"
                    + " hf/ its config's _name_or_path or parent folder).")
    Path output;

    private String type;

    @Mixin
    LogLevelOption logLevel;

    /** Checked while parsing, so nothing is read before a bad type is refused. */
    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "Q4", description = "Quantization (default and only choice: ${DEFAULT-VALUE}).")
    void type(String t) {
        try {
            type = Engine.checkQuantization(t);
        } catch (InvalidRequestException e) {
            throw CliErrors.usage(spec, "--type: " + e.getMessage());
        }
    }

    @Override
    public Integer call() {
        // Never beside the source: it may be a read-only or shared folder (../shared, a Hugging Face cache).
        Path target = output != null ? output : ModelFetcher.modelsFolder().resolve(ModelNames.of(model) + "-" + type);
        Path written = Engine.quantize(model, target, type);
        System.err.println("backstop: wrote the " + type + " model to " + written);
        System.out.println(written);
        return 0;
    }
}
