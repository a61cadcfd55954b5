package io.backstop.bench.decode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticModel;
import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop bench loop-vs-jlama}: our generation loop against Jlama's generate(), side by side. */
@Command(name = "loop-vs-jlama", mixinStandardHelpOptions = true,
        description = {"Decode tok/s of Backstop's generation loop vs Jlama's own generate() on the same model.",
                "Without --model a synthetic random-weights Llama (~90M parameters, F32) is built and cached."})
public final class LoopVsJlamaCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (default: a synthetic model).")
    Path model;

    @Option(names = "--cache", paramLabel = "DIR", description = "Where synthetic models are kept (default: <backstop>/bench/models).")
    Path cache;

    @Option(names = "--tokens", defaultValue = "64", description = "Tokens generated per run (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--reps", defaultValue = "5", description = "Timed runs per side (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmups", defaultValue = "2", description = "Untimed runs per side first (default: ${DEFAULT-VALUE}).")
    int warmups;

    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: physical cores).")
    int threads;

    @Option(names = "--prompt", defaultValue = "Once upon a time", description = "Prompt (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--smoke", description = "One short run on a tiny synthetic model: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("backstop.home", "."));
        Path cacheDir = cache != null ? cache : home.resolve("bench/models");
        Shape shape = smoke ? Shape.TINY : Shape.LLAMA_90M;
        Path dir = model;
        if (dir == null) {
            System.err.println("bench: using synthetic " + shape.name() + " (" + shape.parameters() / 1_000_000 + "M parameters) in " + cacheDir);
            dir = SyntheticModel.ensure(shape, SyntheticModel.Dtype.F32, cacheDir, io.backstop.engine.hub.ProgressListener.NONE);
        }
        int n = smoke ? 8 : tokens;
        int r = smoke ? 1 : reps;
        int w = smoke ? 0 : warmups;
        try (Model m = Engine.load(dir, LoadOptions.defaults().withThreads(threads).withConcurrency(1, 0))) {
            LoopVsJlama.Result result = new LoopVsJlama(m).run(prompt, n, w, r);
            String table = String.format(Locale.ROOT, """
                    | model | dtype | tokens | runs | Backstop loop tok/s (median) | Jlama generate() tok/s (median) | ratio |
                    |---|---|---|---|---|---|---|
                    | %s | %s | %d | %d | %.1f | %.1f | %.2f× |
                    """, m.info().name(), m.info().dtype(), n, r, result.oursMedian(), result.jlamaMedian(), result.ratio());
            System.out.println("Hardware: " + Hardware.oneLine());
            System.out.print(table);
            if (!smoke) write(out != null ? out : home.resolve("bench/results"), m, n, r, result, table);
        }
        return 0;
    }

    private static void write(Path dir, Model m, int n, int r, LoopVsJlama.Result result, String table) throws Exception {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "loop-vs-jlama");
        json.put("hardware", Hardware.describe());
        json.put("model", m.info().name());
        json.put("dtype", m.info().dtype());
        json.put("parameters", m.info().parameterCount());
        json.put("tokens_per_run", n);
        json.put("runs", r);
        json.put("ours_decode_tok_s", result.ours().stream().map(LoopVsJlama.Sample::decodeTokensPerSecond).toList());
        json.put("jlama_decode_tok_s", result.jlama().stream().map(LoopVsJlama.Sample::decodeTokensPerSecond).toList());
        json.put("ours_median", result.oursMedian());
        json.put("jlama_median", result.jlamaMedian());
        json.put("ratio", result.ratio());
        String base = "loop-vs-jlama-" + m.info().name().replaceAll("[^A-Za-z0-9._-]", "_");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(base + ".json").toFile(), json);
        Files.writeString(dir.resolve(base + ".md"), "Hardware: " + Hardware.oneLine() + "\n\n" + table);
        System.err.println("bench: wrote " + dir.resolve(base + ".json") + " and .md");
    }
}
