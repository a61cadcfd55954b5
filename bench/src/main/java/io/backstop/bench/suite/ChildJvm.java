package io.backstop.bench.suite;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a bench subcommand in a fresh JVM with this JVM's classpath and flags. Jlama's compute pool is
 * sized once per process, so each thread count needs its own JVM; and backends that share a JVM share
 * the JIT's type profiles of JDK code, so the model benchmark gives each its own.
 */
public final class ChildJvm {
    private ChildJvm() {}

    public static void run(List<String> benchArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.backstop.bench.BenchMain");
        cmd.addAll(benchArgs);
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int code = p.waitFor();
        if (code != 0) throw new IllegalStateException("bench " + benchArgs.get(0) + " failed with exit code " + code);
    }
}
