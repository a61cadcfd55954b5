package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop quantize}: writes a Jlama-Q4 copy of a model directory. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write a quantized copy of a model directory (Jlama Q4).",
                "Q8 is refused: Jlama 0.8.4's Q8 weights fail at inference."})
public final class QuantizeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "DIR", description = "Source model directory (F32/F16/BF16).")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Output directory (default: <model>-Q4 beside the source).")
    Path output;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "Q4", description = "Quantization (default and only choice: ${DEFAULT-VALUE}).")
    String type;

    @Override
    public Integer call() {
        Path target = output != null ? output : model.toAbsolutePath().normalize().resolveSibling(model.toAbsolutePath().normalize().getFileName() + "-" + type.toUpperCase(java.util.Locale.ROOT));
        Path written = Engine.quantize(model, target, type);
        System.err.println("backstop: wrote the " + type.toUpperCase(java.util.Locale.ROOT) + " model to " + written);
        System.out.println(written);
        return 0;
    }
}
