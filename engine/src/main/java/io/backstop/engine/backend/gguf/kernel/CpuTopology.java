package io.backstop.engine.backend.gguf.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

/** Physical cores: SMT siblings share the vector units, so a second thread per core only adds contention. */
public final class CpuTopology {
    private CpuTopology() {}

    /** Distinct cores among the CPUs this process may use (Linux sysfs); the logical CPU count elsewhere. */
    public static int physicalCores() {
        int logical = Runtime.getRuntime().availableProcessors();
        Path cpus = Path.of("/sys/devices/system/cpu");
        if (!Files.isDirectory(cpus)) return logical;
        Set<String> cores = new HashSet<>();
        try (Stream<Path> dirs = Files.list(cpus)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().matches("cpu\\d+")).toList()) {
                Path siblings = d.resolve("topology/thread_siblings_list");
                if (Files.isReadable(siblings)) cores.add(Files.readString(siblings).trim());
            }
        } catch (IOException | RuntimeException e) {
            return logical;
        }
        // sysfs lists every CPU of the machine; the JVM may be limited to fewer (cgroups, taskset)
        return cores.isEmpty() ? logical : Math.max(1, Math.min(logical, cores.size()));
    }
}
