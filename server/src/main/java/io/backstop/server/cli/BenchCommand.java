package io.backstop.server.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code backstop bench} in the command list. The benchmarks live in the bench module, which depends on
 * this one, so scripts/backstop starts them with their own main class; this entry makes them visible in
 * {@code backstop --help} and explains the case where this class is run directly.
 */
@Command(name = "bench", description = "Benchmarks: tok/s against this machine's memory-bandwidth ceiling, kernels, server load ('backstop bench --help').")
public final class BenchCommand implements Callable<Integer> {
    @Parameters(hidden = true)
    List<String> args;

    @Override
    public Integer call() {
        System.err.println("backstop bench: run it through scripts/backstop (its main class is io.backstop.bench.BenchMain, in bench/target/backstop-bench.jar)");
        return 1;
    }
}
