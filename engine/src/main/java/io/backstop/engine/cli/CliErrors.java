package io.backstop.engine.cli;

import io.backstop.engine.EngineException;
import io.backstop.engine.InvalidRequestException;
import picocli.CommandLine;

/** Turns errors into one clear line on stderr and an exit code: 2 for bad arguments, 1 for failures. */
public final class CliErrors implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
    public static final int USAGE = 2;
    public static final int FAILURE = 1;

    /**
     * Installs the handlers on a command line and its subcommands, with two parsing rules: an argument
     * starting with '@' is taken as it is (picocli would replace {@code -p @notes.txt} by the file's
     * contents), and help uses the terminal's width, so long lines are not wrapped short.
     */
    public static CommandLine install(CommandLine cli) {
        CliErrors h = new CliErrors();
        return cli.setParameterExceptionHandler(h).setExecutionExceptionHandler(h)
                .setExpandAtFiles(false).setUsageHelpAutoWidth(true);
    }

    /** A bad argument: one line naming the flag, exit 2. */
    public static CommandLine.ParameterException usage(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    @Override
    public int handleParseException(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println(prefix(cmd) + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        cmd.getErr().flush();
        return USAGE;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
        if (e instanceof CommandLine.ParameterException pe) return handleParseException(pe, new String[0]);
        String message = e instanceof EngineException ? e.getMessage() : "unexpected error: " + e;
        cmd.getErr().println(prefix(cmd) + message);
        cmd.getErr().flush();
        if (!(e instanceof EngineException) && Boolean.getBoolean("backstop.debug")) e.printStackTrace();
        return e instanceof InvalidRequestException ? USAGE : FAILURE;
    }

    private static String prefix(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName() + ": ";
    }
}
