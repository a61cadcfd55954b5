package io.backstop.engine.cli;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --log-level LEVEL}: how much the libraries and the server log to stderr (slf4j-simple). It must
 * be set before the first logger is created, which the option does while the arguments are parsed.
 */
public final class LogLevelOption {
    public static final List<String> LEVELS = List.of("off", "error", "warn", "info", "debug", "trace");
    public static final String DEFAULT = "warn";
    private static final String PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    private String level;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Log level on stderr: off, error, warn, info, debug or trace (default: " + DEFAULT + ").")
    void set(String value) {
        String l = parse(value);
        if (l == null) throw CliErrors.usage(spec, "--log-level must be one of " + String.join(", ", LEVELS) + ", got '" + value + "'");
        level = l;
        apply(l);
    }

    /** The level given on the command line, or null. */
    public String level() {
        return level;
    }

    /** The level in lower case, or null when it is not one of {@link #LEVELS}. */
    public static String parse(String value) {
        String l = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return LEVELS.contains(l) ? l : null;
    }

    /** Sets the default level; loggers created from now on follow it. */
    public static void apply(String level) {
        System.setProperty(PROPERTY, level);
    }

    /** Uses {@link #DEFAULT} unless the JVM was started with a level (-Dorg.slf4j.simpleLogger.defaultLogLevel). */
    public static void applyDefault() {
        if (System.getProperty(PROPERTY) == null) apply(DEFAULT);
    }
}
