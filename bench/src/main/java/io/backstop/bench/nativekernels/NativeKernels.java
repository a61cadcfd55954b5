package io.backstop.bench.nativekernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Runs {@link NativeKernelBenchmark} over a grid with JMH (and its gc profiler) and formats the results. */
public final class NativeKernels {
    static final String CHECKS_PROPERTY = "backstop.native-kernels.checks";

    /** What the grid covers and how long each point is measured. */
    public record Options(List<GgmlType> types, List<String> shapes, List<Integer> batches, int threads, int warmups, int warmupMillis,
                          int iterations, int iterationMillis, int forks, int workingSetMb, boolean gc, List<Boolean> tiles, List<DecodeLayout> layouts) {
        /** The batch copy only (Q4_0's {@link DecodeLayout#BATCH}, what the server loads). */
        public Options(List<GgmlType> types, List<String> shapes, List<Integer> batches, int threads, int warmups, int warmupMillis,
                       int iterations, int iterationMillis, int forks, int workingSetMb, boolean gc, List<Boolean> tiles) {
            this(types, shapes, batches, threads, warmups, warmupMillis, iterations, iterationMillis, forks, workingSetMb, gc, tiles, List.of(DecodeLayout.BATCH));
        }
    }

    private NativeKernels() {}

    public static List<NativeKernelResult> run(Options o) throws RunnerException, IOException {
        Path checks = Files.createTempDirectory("backstop-native-kernels");
        try {
            ChainedOptionsBuilder b = new OptionsBuilder()
                    .include("^" + Pattern.quote(NativeKernelBenchmark.class.getName()) + "\\.matmul$")
                    .param("type", o.types().stream().map(GgmlType::name).toArray(String[]::new))
                    .param("shape", o.shapes().toArray(String[]::new))
                    .param("batch", o.batches().stream().map(String::valueOf).toArray(String[]::new))
                    .param("threads", String.valueOf(o.threads()))
                    .param("workingSetMb", String.valueOf(o.workingSetMb()))
                    .param("tile", o.tiles().stream().map(String::valueOf).toArray(String[]::new))
                    .param("layout", o.layouts().stream().map(DecodeLayout::name).toArray(String[]::new))
                    .mode(Mode.AverageTime).timeUnit(TimeUnit.NANOSECONDS)
                    .warmupIterations(o.warmups()).warmupTime(TimeValue.milliseconds(o.warmupMillis()))
                    .measurementIterations(o.iterations()).measurementTime(TimeValue.milliseconds(o.iterationMillis()))
                    .threads(1).forks(o.forks())
                    .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                            "-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline,io.backstop.engine.backend.gguf.tensor.*::decodeRow", "-D" + CHECKS_PROPERTY + "=" + checks)
                    .shouldFailOnError(true);
            if (o.gc()) b.addProfiler(GCProfiler.class);
            if (o.forks() == 0) System.setProperty(CHECKS_PROPERTY, checks.toString());
            Collection<RunResult> runs = new Runner(b.build(), OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL)).run();
            List<NativeKernelResult> out = new ArrayList<>();
            for (RunResult r : runs) {
                String type = r.getParams().getParam("type"), shape = r.getParams().getParam("shape");
                int batch = Integer.parseInt(r.getParams().getParam("batch"));
                boolean tile = Boolean.parseBoolean(r.getParams().getParam("tile"));
                String layout = r.getParams().getParam("layout");
                String[] rc = shape.split("x");
                int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
                Result<?> p = r.getPrimaryResult();
                Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
                Path f = checks.resolve(checkFile(type, shape, batch, tile, layout));
                String[] c = Files.isRegularFile(f) ? Files.readString(f).trim().split(" ", 4) : new String[] {"NaN", "0", "0", "?"};
                out.add(new NativeKernelResult(type, rows, cols, batch, Integer.parseInt(c[2]), p.getScore(), p.getScoreError(),
                        GgmlType.valueOf(type).bytesFor((long) rows * cols), alloc == null ? Double.NaN : alloc.getScore(), Double.parseDouble(c[0]),
                        Integer.parseInt(c[1]), tile, c[3]));
            }
            out.sort(Comparator.<NativeKernelResult>comparingInt(k -> o.types().indexOf(GgmlType.valueOf(k.type())))
                    .thenComparingInt(k -> o.shapes().indexOf(k.rows() + "x" + k.cols())).thenComparingInt(k -> o.batches().indexOf(k.batch())).thenComparing(k -> !k.tile()));
            return out;
        } finally {
            try (var files = Files.list(checks)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(checks);
        }
    }

    static String checkFile(String type, String shape, int batch, boolean tile, String layout) {
        return type + "-" + shape + "-" + batch + "-" + tile + "-" + layout + ".check";
    }

    public static String setup(Options o) {
        return String.format(Locale.ROOT, "Native kernels: %d compute threads (ComputePool, caller included), F32 activations; weights rotated over ≥%d MB"
                        + " of off-heap copies (streamed from memory); JMH average time, %d×%d ms warm-up, %d×%d ms measured, %d fork(s)%s",
                o.threads(), o.workingSetMb(), o.warmups(), o.warmupMillis(), o.iterations(), o.iterationMillis(), o.forks(), o.gc() ? ", -prof gc" : "");
    }

    public static String table(List<NativeKernelResult> results) {
        StringBuilder sb = new StringBuilder("| type | shape (out×in) | batch | kernel path | time/op | ±99.9% | weights GB/s | GFLOP/s | alloc B/op | max rel. error vs scalar reference |\n"
                + "|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (NativeKernelResult r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %d×%d | %d | %s | %s | %s | %.1f | %.1f | %s | %.1e |%n", r.type(), r.rows(), r.cols(), r.batch(), r.path(),
                    time(r.nanosPerOp()), Double.isFinite(r.nanosError()) ? String.format(Locale.ROOT, "%.0f%%", 100 * r.nanosError() / r.nanosPerOp()) : "–",
                    r.gbps(), r.gflops(), Double.isNaN(r.allocPerOp()) ? "–" : String.format(Locale.ROOT, "%.0f", r.allocPerOp()), r.relativeError()));
        }
        return sb.toString();
    }

    static String time(double nanos) {
        if (nanos >= 1e6) return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        if (nanos >= 1e3) return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        return String.format(Locale.ROOT, "%.0f ns", nanos);
    }

    public static void write(Path dir, Options o, List<NativeKernelResult> results) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "native-kernels");
        json.put("hardware", Hardware.describe());
        json.put("options", o);
        json.put("results", results);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("native-kernels.json").toFile(), json);
        Files.writeString(dir.resolve("native-kernels.md"), "Hardware: " + Hardware.oneLine() + "  \nJVM flags: " + Hardware.jvmFlags() + "  \n"
                + setup(o) + "\n\n" + table(results));
    }
}
