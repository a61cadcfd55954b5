package io.backstop.bench.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.bench.Hardware;
import io.backstop.bench.memory.BandwidthProbe;
import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticModel;
import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.hub.ConsoleProgress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code backstop bench model}: pp/tg tok/s of a model (a synthetic shape or a directory) in one JVM
 * with one thread count (Jlama's thread pool is process-wide, so the suite runs one JVM per count).
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = {"Prompt (ppN) and decode (tgN) tok/s of models, with the memory-bandwidth ceiling.",
                "Several dtypes are measured alternately (A, B, A, B …), so a drifting machine treats them alike;",
                "Jlama and native models each in fresh JVMs (see --one-jvm)."})
public final class ModelBenchCommand implements Callable<Integer> {
    @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "Synthetic shape: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = ShapeNames.class)
    String shape;

    @Option(names = "--custom", paramLabel = "H,L,HEADS,KV,MLP,VOCAB", description = "A custom Llama shape instead of --shape.")
    String custom;

    @Option(names = "--model", paramLabel = "PATH", description = "A real model (directory or GGUF file) instead of a synthetic shape.")
    Path model;

    @Option(names = "--dtype", split = ",", defaultValue = "bf16,q4,q4_0",
            description = "Synthetic weights: f32, bf16, q4 (safetensors on Jlama); f16, q8_0, q4_0, q4_k_m (GGUF on the native engine) (default: ${DEFAULT-VALUE}).")
    List<String> dtypes;

    @Option(names = "--sequential", description = "Measure one model after the other instead of alternating them repetition by repetition (less memory).")
    boolean sequential;

    @Option(names = "--one-jvm", description = "Alternate Jlama and native models inside this JVM instead of one fresh JVM per repetition and model"
            + " (sharing a JVM shares the JIT's type profiles of JDK code: each backend slows the other).")
    boolean oneJvm;

    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: physical cores).")
    int threads;

    @Option(names = "--pp", split = ",", defaultValue = "64,512", description = "Prompt lengths (default: ${DEFAULT-VALUE}).")
    List<Integer> pp;

    @Option(names = "--tg", split = ",", defaultValue = "128", description = "Generation lengths (default: ${DEFAULT-VALUE}).")
    List<Integer> tg;

    @Option(names = "--reps", defaultValue = "3", description = "Repetitions (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--bandwidth-mb", defaultValue = "1024", description = "Array size of the bandwidth probe (default: ${DEFAULT-VALUE}).")
    int bandwidthMb;

    @Option(names = "--cache", paramLabel = "DIR", description = "Synthetic model cache (default: <backstop>/bench/models).")
    Path cache;

    @Option(names = "--emit-json", paramLabel = "FILE", description = "Write the rows as JSON (used by the suite).")
    Path emitJson;

    @Override
    public Integer call() throws Exception {
        if (threads > 0) com.github.tjake.jlama.util.PhysicalCoreExecutor.overrideThreadCount(threads);
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        BandwidthProbe.Result bw = BandwidthProbe.measure(t, bandwidthMb, 3);
        System.err.printf(Locale.ROOT, "bench: read bandwidth %.1f GB/s, triad %.1f GB/s (%d threads)%n", bw.readGBps(), bw.triadGBps(), t);
        List<ModelRow> rows = new ArrayList<>();
        rows.addAll(measureAll(modelDirs(), t, bw.readGBps()));
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.printf(Locale.ROOT, "Read bandwidth: %.1f GB/s (triad %.1f GB/s), %d threads%n%n", bw.readGBps(), bw.triadGBps(), t);
        System.out.print(table(rows));
        if (emitJson != null) new ObjectMapper().writeValue(emitJson.toFile(), new Emitted(bw, rows));
        return 0;
    }

    /** What a child JVM hands the suite. */
    public record Emitted(BandwidthProbe.Result bandwidth, List<ModelRow> rows) {}

    private List<Path> modelDirs() throws Exception {
        if (model != null) return List.of(model);
        Shape s = custom != null ? customShape(custom) : Shape.NAMED.get(shape);
        if (s == null) throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "unknown shape '" + shape + "'; known: " + String.join(", ", Shape.NAMED.keySet()));
        Path c = cache != null ? cache : Path.of(System.getProperty("backstop.home", "."), "bench", "models");
        List<Path> dirs = new ArrayList<>();
        for (String d : dtypes) dirs.add(synthetic(s, d, c));
        return dirs;
    }

    private Path synthetic(Shape s, String d, Path cache) throws Exception {
        try {
            return io.backstop.bench.synthetic.Synthetic.ensure(s, d, cache, ConsoleProgress.toStderr());
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), e.getMessage());
        }
    }

    static Shape customShape(String spec) {
        String[] p = spec.split(",");
        if (p.length != 6) throw new IllegalArgumentException("--custom needs H,L,HEADS,KV,MLP,VOCAB");
        int[] v = new int[6];
        for (int i = 0; i < 6; i++) v[i] = Integer.parseInt(p[i].trim());
        return new Shape("custom-" + String.join("x", p).replace(" ", ""), "llama", v[0], v[1], v[2], v[3], v[4], v[5], 2048, false);
    }

    /** A loaded model and its measurements so far, per test. */
    private record Subject(Model model, String name, double weightGB, ModelBench bench, java.util.Map<String, List<Double>> runs) {}

    /**
     * Loads the models, then runs every test on each in turn, repetition by repetition (A, B, A, B …), so a
     * machine whose speed drifts (other load, heat) treats them alike. With --sequential, one model at a time.
     */
    private List<ModelRow> measureAll(List<Path> paths, int t, double readGBps) throws Exception {
        boolean mixed = paths.stream().map(p -> io.backstop.engine.Engine.ggufFileOf(p) != null).distinct().count() > 1;
        if (mixed && !oneJvm && !sequential) return measureInChildJvms(paths, t, readGBps);
        List<ModelRow> rows = new ArrayList<>();
        if (sequential) {
            for (Path p : paths) rows.addAll(measure(List.of(p), t, readGBps));
            return rows;
        }
        return measure(paths, t, readGBps);
    }

    /**
     * One fresh JVM per repetition and model, alternating (A, B, A, B …): the JIT keeps one type profile
     * per bytecode of JDK code, so Jlama's memory segments and vector shapes in the same JVM make C2 give
     * up inlining the Vector API in our kernels (measured: native decode 2–4× slower beside Jlama).
     */
    private List<ModelRow> measureInChildJvms(List<Path> paths, int t, double readGBps) throws Exception {
        java.util.Map<String, ModelRow> first = new java.util.LinkedHashMap<>();
        java.util.Map<String, List<Double>> runs = new java.util.LinkedHashMap<>();
        for (int r = 0; r < reps; r++) {
            for (Path p : paths) {
                Path out = java.nio.file.Files.createTempFile("backstop-bench", ".json");
                try {
                    io.backstop.bench.suite.ChildJvm.run(List.of("model", "--model", p.toString(), "--threads", Integer.toString(threads),
                            "--pp", String.join(",", pp.stream().map(String::valueOf).toList()), "--tg", String.join(",", tg.stream().map(String::valueOf).toList()),
                            "--reps", "1", "--bandwidth-mb", "16", "--emit-json", out.toString()));
                    for (ModelRow row : new ObjectMapper().readValue(out.toFile(), Emitted.class).rows()) {
                        String key = row.model() + " " + row.test();
                        first.putIfAbsent(key, row);
                        runs.computeIfAbsent(key, k -> new ArrayList<>()).add(row.median());
                    }
                } finally {
                    java.nio.file.Files.deleteIfExists(out);
                }
            }
        }
        List<ModelRow> rows = new ArrayList<>();
        first.forEach((key, row) -> {
            ModelBench.Runs r = new ModelBench.Runs(row.test(), runs.get(key));
            double ceiling = row.test().startsWith("tg") ? readGBps / row.weightGB() : Double.NaN;
            rows.add(new ModelRow(row.model(), row.backend(), row.dtype(), t, row.test(), r.min(), r.median(), r.max(), ceiling, row.weightGB()));
        });
        return rows;
    }

    private List<ModelRow> measure(List<Path> paths, int t, double readGBps) {
        List<Subject> subjects = new ArrayList<>();
        try {
            for (Path p : paths) {
                // Jlama's pool is process-wide and sized at the start of call(); ours is per thread count
                boolean gguf = io.backstop.engine.Engine.ggufFileOf(p) != null;
                Model m = Engine.load(p, LoadOptions.defaults().withThreads(gguf ? threads : 0).withConcurrency(1, 0));
                subjects.add(new Subject(m, p.getFileName().toString(), WeightBytes.perToken(p) / 1e9, new ModelBench(m), new java.util.LinkedHashMap<>()));
            }
            List<String> tests = new ArrayList<>();
            for (int n : pp) tests.add("pp" + n);
            for (int n : tg) tests.add("tg" + n);
            for (String test : tests) {
                for (Subject s : subjects) run(s, test, true); // warm-up
                for (int r = 0; r < reps; r++) for (Subject s : subjects) run(s, test, false);
            }
            List<ModelRow> rows = new ArrayList<>();
            for (Subject s : subjects) {
                for (var e : s.runs().entrySet()) {
                    ModelBench.Runs r = new ModelBench.Runs(e.getKey(), e.getValue());
                    double ceiling = r.test().startsWith("tg") ? readGBps / s.weightGB() : Double.NaN;
                    rows.add(new ModelRow(s.name(), s.model().info().backend(), s.model().info().dtype(), t, r.test(), r.min(), r.median(), r.max(), ceiling, s.weightGB()));
                    System.err.printf(Locale.ROOT, "bench: %s %s %.1f tok/s%s%n", s.name(), r.test(), r.median(),
                            Double.isNaN(ceiling) ? "" : String.format(Locale.ROOT, " (ceiling %.1f)", ceiling));
                }
            }
            return rows;
        } finally {
            subjects.forEach(s -> s.model().close());
        }
    }

    private static void run(Subject s, String test, boolean warmup) {
        int n = Integer.parseInt(test.substring(2));
        int usable = s.model().info().usablePositions();
        ModelBench.Runs r = test.startsWith("pp")
                ? (n > usable ? null : s.bench().prompt(n, 0, 1))
                : s.bench().generate(Math.min(n, usable - 2), 0, 1);
        if (r != null && !warmup) s.runs().computeIfAbsent(test, k -> new ArrayList<>()).addAll(r.tokensPerSecond());
    }

    public static String table(List<ModelRow> rows) {
        StringBuilder sb = new StringBuilder("| model | backend | dtype | threads | test | tok/s min / median / max | weights read per token (MB) | ceiling tok/s | of ceiling |\n|---|---|---|---|---|---|---|---|---|\n");
        for (ModelRow r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %.1f / %.1f / %.1f | %.1f | %s | %s |%n", r.model(), r.backend(), r.dtype(), r.threads(), r.test(),
                    r.min(), r.median(), r.max(), r.weightGB() * 1000, Double.isNaN(r.ceiling()) ? "–" : String.format(Locale.ROOT, "%.1f", r.ceiling()),
                    Double.isNaN(r.ratioToCeiling()) ? "–" : String.format(Locale.ROOT, "%.0f %%", 100 * r.ratioToCeiling())));
        }
        return sb.toString();
    }

    /** Shape names for --help. */
    static final class ShapeNames extends ArrayList<String> {
        ShapeNames() {
            super(Shape.NAMED.keySet());
        }
    }
}
