package io.backstop.bench;

import io.backstop.bench.decode.LoopVsJlamaCommand;
import io.backstop.bench.load.LoadCommand;
import io.backstop.bench.model.ModelBenchCommand;
import io.backstop.bench.route.FallbackOverheadCommand;
import io.backstop.bench.server.ServerOverheadCommand;
import io.backstop.engine.cli.CliErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code backstop bench …}: benchmarks users run on their own hardware. Without a subcommand it runs the
 * whole suite for one shape ({@code --quick} in a few minutes).
 */
@Command(name = "backstop bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmarks: how fast this machine runs a model.",
                "Without a subcommand: the suite (bandwidth, pp/tg per dtype and thread count vs the ceiling, our loop vs Jlama, server load)."},
        subcommands = {ModelBenchCommand.class, LoadCommand.class, LoopVsJlamaCommand.class, ServerOverheadCommand.class, FallbackOverheadCommand.class, io.backstop.bench.kernels.KernelsCommand.class, io.backstop.bench.guard.GuardBenchCommand.class, io.backstop.bench.grammar.GrammarBenchCommand.class, io.backstop.bench.tokenizer.TokenizerCommand.class, io.backstop.bench.vsllama.VsLlamaCommand.class, io.backstop.bench.nativekernels.NativeKernelsCommand.class, io.backstop.bench.step.StepCommand.class, CommandLine.HelpCommand.class})
public final class BenchMain implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Option(names = "--quick", description = "A short run (about 3 min on 2 cores for the default shape): fewer repetitions and lengths.")
    boolean quick;

    @picocli.CommandLine.Option(names = "--smoke", description = "The tiniest run of the suite: checks it works, measures nothing.")
    boolean smoke;

    @picocli.CommandLine.Option(names = "--shape", paramLabel = "NAME", defaultValue = "tinyllama-1.1b",
            description = "Synthetic shape (as in 'bench model --help'; default: ${DEFAULT-VALUE}).")
    String shape;

    @picocli.CommandLine.Option(names = "--dtype", split = ",", paramLabel = "DTYPE", defaultValue = "bf16,q4,q4_0",
            description = "Dtypes: " + io.backstop.bench.synthetic.Synthetic.DTYPES + " (default: ${DEFAULT-VALUE}).")
    java.util.List<String> dtypes;

    @picocli.CommandLine.Option(names = "--threads", split = ",", paramLabel = "N", description = "Thread counts (default: all cores).")
    java.util.List<Integer> threads;

    @picocli.CommandLine.Option(names = "--llama-bench", paramLabel = "PATH", description = "llama.cpp's llama-bench binary, to run beside us.")
    java.nio.file.Path llamaBench;

    @picocli.CommandLine.Option(names = "--gguf", paramLabel = "FILE", description = "A GGUF of the same shape for --llama-bench.")
    java.nio.file.Path gguf;

    @picocli.CommandLine.Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    java.nio.file.Path out;

    @picocli.CommandLine.Option(names = "--cache", paramLabel = "DIR", description = "Synthetic model cache (default: <backstop>/bench/models).")
    java.nio.file.Path cache;

    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(CliErrors.install(new CommandLine(new BenchMain())).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        io.backstop.bench.synthetic.Shape s = io.backstop.bench.synthetic.Shape.NAMED.get(shape);
        if (smoke) s = io.backstop.bench.synthetic.Shape.TINY;
        if (s == null) throw new CommandLine.ParameterException(new CommandLine(this), "unknown shape '" + shape + "'; known: " + String.join(", ", io.backstop.bench.synthetic.Shape.NAMED.keySet()));
        if ((llamaBench == null) != (gguf == null)) throw new CommandLine.ParameterException(new CommandLine(this), "--llama-bench and --gguf go together");
        java.nio.file.Path home = java.nio.file.Path.of(System.getProperty("backstop.home", "."));
        java.util.List<Integer> t = threads != null ? threads : java.util.List.of(Runtime.getRuntime().availableProcessors());
        io.backstop.bench.suite.Suite.Plan plan = smoke
                ? new io.backstop.bench.suite.Suite.Plan(s, dtypes, t, java.util.List.of(16), 8, 1, 8, 1, java.util.List.of(1, 2), 1, 4, 64,
                        cache != null ? cache : home.resolve("bench/models"), out != null ? out : java.nio.file.Files.createTempDirectory("backstop-smoke"), llamaBench, gguf,
                        null)
                : quick
                ? new io.backstop.bench.suite.Suite.Plan(s, dtypes, t, java.util.List.of(64), 128, 2, 32, 2, java.util.List.of(1, 2, 4, 8), 1, 16, 1024,
                        cache != null ? cache : home.resolve("bench/models"), out != null ? out : home.resolve("bench/results"), llamaBench, gguf,
                        io.backstop.bench.kernels.KernelOptions.quick())
                : new io.backstop.bench.suite.Suite.Plan(s, dtypes, t, java.util.List.of(64, 512), 128, 3, 64, 5, java.util.List.of(1, 2, 4, 8), 2, 64, 2048,
                        cache != null ? cache : home.resolve("bench/models"), out != null ? out : home.resolve("bench/results"), llamaBench, gguf,
                        io.backstop.bench.kernels.KernelOptions.defaults());
        System.out.print(io.backstop.bench.suite.Suite.run(plan));
        return 0;
    }
}
