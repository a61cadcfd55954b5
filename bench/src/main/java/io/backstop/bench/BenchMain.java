package io.backstop.bench;

import io.backstop.bench.decode.LoopVsJlamaCommand;
import io.backstop.bench.model.ModelBenchCommand;
import io.backstop.bench.route.FallbackOverheadCommand;
import io.backstop.bench.server.ServerOverheadCommand;
import io.backstop.engine.cli.CliErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code backstop bench …}: benchmarks users run on their own hardware. */
@Command(name = "backstop bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: how fast this machine runs a model.",
        subcommands = {ModelBenchCommand.class, LoopVsJlamaCommand.class, ServerOverheadCommand.class, FallbackOverheadCommand.class, CommandLine.HelpCommand.class})
public final class BenchMain implements Runnable {
    public static void main(String[] args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(CliErrors.install(new CommandLine(new BenchMain())).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
