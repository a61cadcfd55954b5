package io.backstop.engine.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.backend.gguf.quant.GgufFileQuantizer;
import io.backstop.engine.hub.ModelFetcher;
import io.backstop.engine.hub.ModelNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop quantize}: a GGUF file from an F32/F16/BF16 GGUF file, or a Jlama-Q4 copy of a model directory. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write a quantized copy of a model into models/, or where --output says.",
                "A GGUF file (F32, F16 or BF16) becomes a GGUF file: --type Q8_0, Q4_0, Q4_K_M (default) or F16, with llama.cpp's"
                        + " tensor-type mix, byte for byte what llama-quantize writes (no importance matrix).",
                "A Hugging Face directory becomes a Jlama Q4 directory (--type Q4, the default and only choice; Q8 is refused:"
                        + " Jlama 0.8.4's Q8 weights fail at inference)."})
public final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "Source: a GGUF file (or a folder with one) in F32/F16/BF16, or a model directory (F32/F16/BF16 safetensors).")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "PATH",
            description = "Output: for a GGUF source the file (default: models/<name>-<TYPE>.gguf, <name> being the file's name without"
                    + " .gguf and a trailing -F32/-F16/-BF16; an existing folder gets that name inside); for a directory the output"
                    + " directory (default: models/<name>-Q4, <name> being the model's folder name, or for a folder such as hf/ its"
                    + " config's _name_or_path or parent folder).")
    Path output;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "Quantization: Q8_0, Q4_0, Q4_K_M (default) or F16 for a GGUF source; Q4 (default) for a model directory.")
    String type;

    @Mixin
    LogLevelOption logLevel;

    @Override
    public Integer call() {
        Path gguf = Engine.ggufFileOf(model);
        String t;
        try {
            // Checked before anything is read or written.
            t = gguf != null ? GgufFileQuantizer.mix(type == null ? "Q4_K_M" : type).name() : Engine.checkQuantization(type == null ? "Q4" : type);
        } catch (InvalidRequestException e) {
            throw CliErrors.usage(spec, "--type: " + e.getMessage());
        }
        Path target = gguf != null ? ggufTarget(gguf, t) : directoryTarget(t);
        Path written = Engine.quantize(model, target, t);
        System.err.println("backstop: wrote the " + t + " model to " + written);
        System.out.println(written);
        return 0;
    }

    private Path ggufTarget(Path gguf, String t) {
        String name = gguf.getFileName().toString().replaceFirst("(?i)\\.gguf$", "").replaceFirst("(?i)[-_.](f32|f16|bf16)$", "")
                + "-" + t.toUpperCase(Locale.ROOT) + ".gguf";
        if (output == null) return ModelFetcher.modelsFolder().resolve(name);
        return Files.isDirectory(output) ? output.resolve(name) : output;
    }

    private Path directoryTarget(String t) {
        // Never beside the source: it may be a read-only or shared folder (../shared, a Hugging Face cache).
        return output != null ? output : ModelFetcher.modelsFolder().resolve(ModelNames.of(model) + "-" + t);
    }
}
