package io.backstop.bench.suite;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
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
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Thread stderr = Thread.ofPlatform().daemon().start(() -> copyStderr(p.getErrorStream()));
        int code = p.waitFor();
        stderr.join();
        if (code != 0) throw new IllegalStateException("bench " + benchArgs.get(0) + " failed with exit code " + code);
    }

    /**
     * The child's stderr, as it comes, without the JVM's "WARNING: Using incubator modules" start-up line
     * (scripts/backstop drops it for the parent JVM; each child prints its own).
     */
    private static void copyStderr(InputStream in) {
        try (in) {
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') first.write(b);
            String line = first.toString(StandardCharsets.UTF_8);
            if (!line.startsWith("WARNING: Using incubator modules")) {
                System.err.write(first.toByteArray());
                if (b == '\n') System.err.write('\n');
            }
            System.err.flush();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) != -1) {
                System.err.write(buf, 0, n);
                System.err.flush();
            }
        } catch (IOException e) {
            // the child is gone; nothing more to copy
        }
    }
}
