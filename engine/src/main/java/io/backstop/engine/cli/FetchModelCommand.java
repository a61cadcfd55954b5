package io.backstop.engine.cli;

import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ModelFetchException;
import io.backstop.engine.hub.ModelFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code backstop fetch-model SOURCE}: downloads or copies a model; prints its directory (or GGUF file) on stdout. */
@Command(name = "fetch-model", mixinStandardHelpOptions = true,
        description = {
                "Download a model from Hugging Face, or copy a local model directory, into models/<name>.",
                "Takes only what Backstop needs (config, tokenizer, *.safetensors); files already complete are skipped.",
                "owner/name:QUANT (e.g. :Q4_K_M) or --file NAME.gguf takes one GGUF file; an interrupted GGUF download resumes.",
                "Prints the model directory on stdout; progress goes to stderr."},
        footer = {"", "Environment:",
                "  HF_ENDPOINT  hub or mirror to download from (default: " + ModelFetcher.DEFAULT_ENDPOINT + ")",
                "  HF_TOKEN     access token for gated or private models"})
public final class FetchModelCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SOURCE",
            description = "Hugging Face repo id (owner/name, owner/name@revision, owner/name:QUANT) or a local model directory.")
    String source;

    @Option(names = "--dest", paramLabel = "DIR", description = "Where to put the model (default: models/<name>).")
    Path dest;

    @Option(names = "--name", paramLabel = "NAME", description = "Folder name under models/ (default: the repo's name, or the local model's name).")
    String name;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit to download (default: main).")
    String revision;

    @Option(names = "--file", paramLabel = "NAME.gguf", description = "Take this one GGUF file of the repo (instead of owner/name:QUANT).")
    String file;

    @Spec
    CommandSpec spec;

    @Mixin
    LogLevelOption logLevel;

    private final Map<String, String> env;

    public FetchModelCommand() {
        this(System.getenv());
    }

    /** @param env where HF_ENDPOINT and HF_TOKEN are looked up (tests pass their own) */
    public FetchModelCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (name != null && dest != null) throw CliErrors.usage(spec, "give --name or --dest, not both");
        if (name != null && !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw CliErrors.usage(spec, "--name must be a folder name (letters, digits, '.', '_', '-'), got '" + name + "'");
        }
        try {
            ModelFetcher fetcher = new ModelFetcher(env);
            Path target = dest != null ? dest : name != null ? ModelFetcher.modelsFolder().resolve(name) : ModelFetcher.defaultDestination(source);
            err.println("backstop: fetching " + source + " into " + target);
            err.flush();
            Path model = fetcher.fetch(source, target, revision, file, new ConsoleProgress(err, ConsoleProgress.isTerminal()));
            out.println(model);
            out.flush();
            return 0;
        } catch (ModelFetchException e) {
            err.println("backstop fetch-model: " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
