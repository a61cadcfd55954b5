package io.backstop.server;

import io.backstop.engine.cli.CliErrors;
import io.backstop.engine.cli.FetchModelCommand;
import io.backstop.engine.cli.GenerateCommand;
import io.backstop.engine.cli.InfoCommand;
import io.backstop.engine.cli.LogLevelOption;
import io.backstop.engine.cli.QuantizeCommand;
import io.backstop.engine.cli.TokenizeCommand;
import io.backstop.server.cli.BenchCommand;
import io.backstop.server.cli.ServeCommand;
import io.backstop.server.guard.cli.GuardCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code backstop}: the command users run (scripts/backstop starts it). */
@Command(name = "backstop", mixinStandardHelpOptions = true, version = "Backstop 0.1.0",
        description = "Run open LLMs on the CPU inside the JVM.",
        subcommands = {ServeCommand.class, GenerateCommand.class, InfoCommand.class, TokenizeCommand.class, QuantizeCommand.class,
                FetchModelCommand.class, GuardCommand.class, io.backstop.server.cli.EvalCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this in-process). */
    public static int run(String... args) {
        // Jlama logs its load steps at INFO; users want the text, not the logs (--log-level changes it).
        LogLevelOption.applyDefault();
        try {
            return CliErrors.install(new CommandLine(new Main())).execute(args);
        } catch (Throwable t) { // Errors (e.g. a broken install) escape picocli's handlers: still one line, no trace
            System.err.println("backstop: internal error: " + t);
            return CliErrors.FAILURE;
        }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
