package io.backstop.engine.cli;

import io.backstop.engine.EngineException;
import io.backstop.engine.InvalidRequestException;
import picocli.CommandLine;

/** Turns errors into one clear line on stderr and an exit code: 2 for bad arguments, 1 for failures. */
public final class CliErrors implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
    public static final int USAGE = 2;
    public static final int FAILURE = 1;

    public static CommandLine install(CommandLine cli) {
        CliErrors h = new CliErrors();
        return cli.setParameterExceptionHandler(h).setExecutionExceptionHandler(h);
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
