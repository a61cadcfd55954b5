package io.backstop.bench.kernels;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.backstop.bench.Hardware;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.annotations.Mode;

/**
 * Jlama's matrix products at LLM shapes, measured with JMH: {@link #run} for the numbers, {@link #table} for the
 * Markdown a report embeds, {@link #write} for {@code kernels.json} / {@code kernels.md}.
 */
public final class Kernels {
    /** What every forked benchmark JVM needs for Jlama (on top of the options JMH copies from this JVM). */
    public static final List<String> JLAMA_JVM_FLAGS = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");
    private static final String PANAMA_PROPERTY = "jlama.force_panama_tensor_operations";
    /** Folder where each benchmark trial leaves its correctness check (see {@link KernelBenchmark}). */
    static final String CHECKS_PROPERTY = "backstop.kernels.checks";

    private Kernels() {}

    /** Runs the benchmarks; results in the order of the options' shapes, batches, dtypes. */
    public static List<KernelResult> run(KernelOptions o) throws RunnerException, IOException {
        Path checks = Files.createTempDirectory("backstop-kernels");
        String previous = System.getProperty(CHECKS_PROPERTY);
        try {
            System.setProperty(CHECKS_PROPERTY, checks.toString());
            return run(o, checks);
        } finally {
            if (previous == null) System.clearProperty(CHECKS_PROPERTY);
            else System.setProperty(CHECKS_PROPERTY, previous);
            try (var files = Files.list(checks)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(checks);
        }
    }

    private static List<KernelResult> run(KernelOptions o, Path checks) throws RunnerException, IOException {
        if (o.forks() == 0) {
            if (o.panama()) System.setProperty(PANAMA_PROPERTY, "true");
            // In this JVM the executor is sized once; fail before JMH starts rather than in its setup.
            KernelBenchmark.applyThreads(o.threads());
        }
        List<String> fork = new ArrayList<>(JLAMA_JVM_FLAGS);
        fork.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        fork.add("-D" + CHECKS_PROPERTY + "=" + checks);
        if (o.panama()) fork.add("-D" + PANAMA_PROPERTY + "=true");
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("^" + Pattern.quote(KernelBenchmark.class.getName()) + "\\.matmul$")
                .param("shape", o.shapes().stream().map(MatrixShape::toString).toArray(String[]::new))
                .param("batch", o.batches().stream().map(String::valueOf).toArray(String[]::new))
                .param("dtype", o.dtypes().stream().map(KernelDtype::name).toArray(String[]::new))
                .param("threads", String.valueOf(o.threads()))
                .param("workingSetMb", String.valueOf(o.workingSetMb()))
                .mode(Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .warmupIterations(o.warmupIterations())
                .warmupTime(TimeValue.milliseconds(o.warmupMillis()))
                .measurementIterations(o.iterations())
                .measurementTime(TimeValue.milliseconds(o.iterationMillis()))
                .threads(1)
                .forks(o.forks())
                .jvmArgsAppend(fork.toArray(String[]::new))
                .shouldFailOnError(true);
        // JMH's report goes to stderr: stdout is the table.
        Runner runner = new Runner(b.build(), OutputFormatFactory.createFormatInstance(System.err,
                o.progress() ? VerboseMode.NORMAL : VerboseMode.SILENT));
        Collection<RunResult> runs = runner.run();
        List<KernelResult> out = new ArrayList<>();
        for (RunResult r : runs) {
            MatrixShape s = MatrixShape.parse(r.getParams().getParam("shape"));
            int batch = Integer.parseInt(r.getParams().getParam("batch"));
            KernelDtype d = KernelDtype.parse(r.getParams().getParam("dtype"));
            Result<?> p = r.getPrimaryResult();
            Properties c = new Properties();
            Path f = checks.resolve(checkFile(s.toString(), batch, d.name()));
            if (Files.isRegularFile(f)) {
                try (Reader in = Files.newBufferedReader(f)) {
                    c.load(in);
                }
            }
            out.add(KernelResult.of(s, batch, d, p.getScore(), p.getScoreError(),
                    c.getProperty("activations", d.activations(s.cols()).name()),
                    c.containsKey("operations") ? c.getProperty("operations") : operations(o),
                    c.containsKey("threads") ? Integer.parseInt(c.getProperty("threads")) : threads(o),
                    Integer.parseInt(c.getProperty("copies", "0")),
                    Long.parseLong(c.getProperty("checked", "0")), Long.parseLong(c.getProperty("wrong", "0")),
                    Double.parseDouble(c.getProperty("relative_error", "NaN"))));
        }
        out.sort(Comparator.<KernelResult>comparingInt(k -> o.shapes().indexOf(MatrixShape.parse(k.shape())))
                .thenComparingInt(k -> o.batches().indexOf(k.batch()))
                .thenComparingInt(k -> o.dtypes().indexOf(KernelDtype.parse(k.dtype()))));
        return out;
    }

    static String checkFile(String shape, int batch, String dtype) {
        return "check-" + shape + "-" + batch + "-" + dtype + ".properties";
    }

    /** Jlama's kernel implementation the runs use, e.g. "Native SIMD Operations" (jlama-native) or "Panama Vector Operations". */
    public static String operations(KernelOptions o) {
        if (o.panama() && o.forks() > 0) return "Panama Vector Operations";
        return TensorOperationsProvider.get().name();
    }

    /** Threads Jlama computes with in the benchmark JVMs. */
    public static int threads(KernelOptions o) {
        if (o.threads() > 0) return o.threads();
        if (o.forks() == 0) return PhysicalCoreExecutor.instance.get().getCoreCount();
        return Math.max(2, Runtime.getRuntime().availableProcessors() / 2); // PhysicalCoreExecutor's default
    }

    /** One line saying how the numbers were taken. */
    public static String setup(KernelOptions o, List<KernelResult> results) {
        String ops = results.stream().map(KernelResult::operations).distinct().reduce((a, b) -> a + " / " + b).orElse(operations(o));
        String threads = results.stream().map(r -> String.valueOf(r.threads())).distinct().reduce((a, b) -> a + " / " + b)
                .orElse(String.valueOf(threads(o)));
        return String.format(Locale.ROOT, "Kernels: Jlama %s, %s threads; %s; JMH average time, %d×%d ms warmup, %d×%d ms measured, %s",
                ops, threads, o.workingSetMb() > 0
                        ? "weights rotated over ≥" + o.workingSetMb() + " MB of copies (read from memory, not cache)"
                        : "one copy of the weights (cache-hot where it fits)",
                o.warmupIterations(), o.warmupMillis(), o.iterations(), o.iterationMillis(),
                o.forks() == 0 ? "in-process" : o.forks() + " fork(s) per row");
    }

    /** The Markdown table. */
    public static String table(List<KernelResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| shape (out×in) | batch | weights | activations | time/op | ±99.9% | GFLOP/s | weights GB/s | result |\n");
        sb.append("|---|---:|---|---|---:|---:|---:|---:|---|\n");
        for (KernelResult r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %.1f | %.1f | %s |%n",
                    r.rows() + "×" + r.cols(), r.batch(), r.weights(), r.activations(), time(r.nanosPerOp()),
                    Double.isFinite(r.nanosError()) ? String.format(Locale.ROOT, "%.0f%%", 100 * r.nanosError() / r.nanosPerOp()) : "–",
                    r.gflops(), r.gbps(), verdict(r)));
        }
        if (results.stream().anyMatch(r -> r.outputsChecked() > 0 && !r.correct())) {
            sb.append("\nWRONG: some outputs differ from a plain-Java product of the same (dequantized) inputs; the time is of the kernel as it is.\n");
        }
        return sb.toString();
    }

    static String verdict(KernelResult r) {
        if (r.outputsChecked() == 0) return "unchecked";
        if (r.correct()) return "ok";
        return String.format(Locale.ROOT, "WRONG: %d of %d checked outputs", r.outputsWrong(), r.outputsChecked());
    }

    static String time(double nanos) {
        if (nanos >= 1e6) return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
        if (nanos >= 1e3) return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        return String.format(Locale.ROOT, "%.0f ns", nanos);
    }

    /** Writes {@code kernels.json} and {@code kernels.md} into {@code dir}. */
    public static void write(Path dir, KernelOptions o, List<KernelResult> results) throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "kernels");
        json.put("hardware", Hardware.describe());
        json.put("warmup_iterations", o.warmupIterations());
        json.put("warmup_ms", o.warmupMillis());
        json.put("iterations", o.iterations());
        json.put("iteration_ms", o.iterationMillis());
        json.put("working_set_mb", o.workingSetMb());
        json.put("forks", o.forks());
        json.put("results", results);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("kernels.json").toFile(), json);
        Files.writeString(dir.resolve("kernels.md"), "Hardware: " + Hardware.oneLine() + "\n\n" + setup(o, results) + "\n\n" + table(results));
    }
}
