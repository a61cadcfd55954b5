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
        description = "Prompt (ppN) and decode (tgN) tok/s of a model, with the memory-bandwidth ceiling.")
public final class ModelBenchCommand implements Callable<Integer> {
    @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "Synthetic shape: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = ShapeNames.class)
    String shape;

    @Option(names = "--custom", paramLabel = "H,L,HEADS,KV,MLP,VOCAB", description = "A custom Llama shape instead of --shape.")
    String custom;

    @Option(names = "--model", paramLabel = "DIR", description = "A real model directory instead of a synthetic shape.")
    Path model;

    @Option(names = "--dtype", split = ",", defaultValue = "bf16,q4", description = "f32, bf16, q4 (synthetic shapes; default: ${DEFAULT-VALUE}).")
    List<String> dtypes;

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
        for (Path dir : modelDirs()) rows.addAll(measure(dir, t, bw.readGBps()));
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
        for (String d : dtypes) {
            SyntheticModel.Dtype dtype;
            try {
                dtype = SyntheticModel.Dtype.valueOf(d.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "unknown dtype '" + d + "'; use f32, bf16 or q4");
            }
            dirs.add(SyntheticModel.ensure(s, dtype, c, ConsoleProgress.toStderr()));
        }
        return dirs;
    }

    static Shape customShape(String spec) {
        String[] p = spec.split(",");
        if (p.length != 6) throw new IllegalArgumentException("--custom needs H,L,HEADS,KV,MLP,VOCAB");
        int[] v = new int[6];
        for (int i = 0; i < 6; i++) v[i] = Integer.parseInt(p[i].trim());
        return new Shape("custom-" + String.join("x", p).replace(" ", ""), "llama", v[0], v[1], v[2], v[3], v[4], v[5], 2048, false);
    }

    private List<ModelRow> measure(Path dir, int t, double readGBps) {
        List<ModelRow> rows = new ArrayList<>();
        try (Model m = Engine.load(dir, LoadOptions.defaults().withConcurrency(1, 0))) {
            double weightGB = WeightBytes.perToken(dir) / 1e9;
            double ceiling = readGBps / weightGB;
            ModelBench bench = new ModelBench(m);
            String name = dir.getFileName().toString();
            for (int n : pp) {
                if (n > m.info().usablePositions()) continue;
                ModelBench.Runs r = bench.prompt(n, 1, reps);
                rows.add(new ModelRow(name, m.info().dtype(), t, r.test(), r.min(), r.median(), r.max(), Double.NaN, weightGB));
                System.err.printf(Locale.ROOT, "bench: %s %s %.1f tok/s%n", name, r.test(), r.median());
            }
            for (int n : tg) {
                ModelBench.Runs r = bench.generate(Math.min(n, m.info().usablePositions() - 2), 1, reps);
                rows.add(new ModelRow(name, m.info().dtype(), t, r.test(), r.min(), r.median(), r.max(), ceiling, weightGB));
                System.err.printf(Locale.ROOT, "bench: %s %s %.1f tok/s (ceiling %.1f)%n", name, r.test(), r.median(), ceiling);
            }
        }
        return rows;
    }

    public static String table(List<ModelRow> rows) {
        StringBuilder sb = new StringBuilder("| model | dtype | threads | test | tok/s min / median / max | weights read per token (MB) | ceiling tok/s | of ceiling |\n|---|---|---|---|---|---|---|---|\n");
        for (ModelRow r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %.1f / %.1f / %.1f | %.1f | %s | %s |%n", r.model(), r.dtype(), r.threads(), r.test(),
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
