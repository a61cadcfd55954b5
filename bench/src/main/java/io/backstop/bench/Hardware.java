package io.backstop.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a figure was measured on: CPU, cores, vector width, memory, JVM. Reported with every result. */
public final class Hardware {
    private Hardware() {}

    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("logical_cores", Runtime.getRuntime().availableProcessors());
        m.put("vector_bits", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        m.put("memory_gib", memoryGib());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("jvm_flags", jvmFlags());
        return m;
    }

    /** The JVM's flags, without machine-specific paths. */
    public static String jvmFlags() {
        return String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith("-Dbackstop.home=")).toList());
    }

    public static String oneLine() {
        Map<String, Object> h = describe();
        return h.get("cpu") + ", " + h.get("logical_cores") + " cores, " + h.get("vector_bits") + "-bit vectors, "
                + h.get("memory_gib") + " GiB, " + h.get("jvm");
    }

    private static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            return lines.stream().filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static long memoryGib() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) return Math.round(Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0);
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux: report what the JVM may use instead
        }
        return Runtime.getRuntime().maxMemory() >> 30;
    }
}
