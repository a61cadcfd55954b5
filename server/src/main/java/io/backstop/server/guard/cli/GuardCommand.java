package io.backstop.server.guard.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code backstop guard …}: train and evaluate the guardrail detectors. */
@Command(name = "guard", mixinStandardHelpOptions = true,
        description = "Guardrails: train the injection classifier, evaluate the detectors, write held-out splits.",
        subcommands = {TrainCommand.class, EvalCommand.class, SplitCommand.class, FpCheckCommand.class, SecretCheckCommand.class, CommandLine.HelpCommand.class})
public final class GuardCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
