package io.backstop.bench.peer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options a bench command adds (as a picocli {@code @Mixin}) to put llama.cpp's numbers beside ours:
 * {@code --llama-bench PATH --gguf FILE [--llama-bench-timeout SECONDS]}. Both or neither of the first two.
 */
public final class LlamaBenchOptions {
    @Option(names = "--llama-bench", paramLabel = "PATH",
            description = "Also run llama.cpp's llama-bench at PATH with the same threads / prompt / generation lengths "
                    + "and show its tok/s beside ours (needs --gguf).")
    Path binary;

    @Option(names = "--gguf", paramLabel = "FILE", description = "The same model as a .gguf file, for --llama-bench.")
    Path gguf;

    @Option(names = "--llama-bench-timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Kill llama-bench after this long (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 600;

    public LlamaBenchOptions() {}

    public LlamaBenchOptions(Path binary, Path gguf, Duration timeout) {
        this.binary = binary;
        this.gguf = gguf;
        this.timeoutSeconds = (int) Math.max(1, timeout.toSeconds());
    }

    /** Whether the user asked for the peer comparison; checks that both options were given. */
    public boolean requested() {
        if (binary == null && gguf == null) return false;
        if (binary == null) throw new LlamaBenchException("--gguf is only used with --llama-bench PATH");
        if (gguf == null) throw new LlamaBenchException("--llama-bench needs --gguf FILE: the same model as a .gguf file");
        if (timeoutSeconds < 1) throw new LlamaBenchException("--llama-bench-timeout must be at least 1 second");
        return true;
    }

    /**
     * Checks the binary and the model up front, so a typo fails before our own (possibly long) benchmark runs.
     * Does nothing when the comparison was not requested.
     */
    public void validate() {
        if (!requested()) return;
        LlamaBench.checkBinary(binary);
        LlamaBench.checkModel(gguf);
    }

    /**
     * Runs llama-bench when requested. {@code threads} must be the actual count our side used (not 0 for "auto").
     * A {@code pp} or {@code tg} of 0 leaves that test out.
     */
    public Optional<LlamaBench.Report> run(int threads, int pp, int tg, int reps) {
        if (!requested()) return Optional.empty();
        return Optional.of(LlamaBench.runReport(binary, gguf, threads, pp, tg, reps, Duration.ofSeconds(timeoutSeconds)));
    }

    public Path binary() {
        return binary;
    }

    public Path gguf() {
        return gguf;
    }
}
