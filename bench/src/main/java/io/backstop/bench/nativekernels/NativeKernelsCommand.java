package io.backstop.bench.nativekernels;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import io.backstop.engine.backend.gguf.tensor.WeightTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop bench native-kernels}: JMH of the native engine's matrix products per GGUF type at real shapes. */
@Command(name = "native-kernels", mixinStandardHelpOptions = true,
        description = {"JMH of the native GGUF engine's matrix products per tensor type at real shapes and batch sizes.",
                "Weights GB/s, GFLOP/s, bytes allocated per product (-prof gc), outputs checked against the scalar reference."})
public final class NativeKernelsCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--types", split = ",", defaultValue = "Q4_0,Q8_0,Q4_K,Q6_K,F16", description = "Tensor types (default: ${DEFAULT-VALUE}).")
    List<String> types;

    @Option(names = "--shapes", split = ",", defaultValue = "2048x2048,5632x2048,2048x5632,32000x2048",
            description = "Rows×cols, out×in (default: ${DEFAULT-VALUE}: TinyLlama's q/o, gate/up, down, output).")
    List<String> shapes;

    @Option(names = "--batches", split = ",", defaultValue = "1,4,16,64", description = "Tokens per product (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--threads", defaultValue = "2", description = "Compute threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--forks", defaultValue = "2", description = "JMH forks per point: fresh JVMs, whose spread shows JIT variance (default: ${DEFAULT-VALUE}).")
    int forks;

    @Option(names = "--quick", description = "1 fork, 2 × 500 ms measured per point.")
    boolean quick;

    @Option(names = "--no-gc", description = "Without JMH's gc profiler.")
    boolean noGc;

    @Option(names = "--working-set-mb", defaultValue = "256", description = "Weights rotated over copies of at least this many MB (default: ${DEFAULT-VALUE}).")
    int workingSetMb;

    @Option(names = "--ab-tile", description = "Also measure prefill without the register tile (one row at a time in scalar code, the tile's bits), for an A/B.")
    boolean abTile;

    @Option(names = "--layouts", split = ",", defaultValue = "BATCH", description = "Q4_0, Q4_K and Q8_0 decode copies: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; other types have one).")
    List<DecodeLayout> layouts;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<GgmlType> ts = new ArrayList<>();
        for (String t : types) {
            GgmlType g;
            try {
                g = GgmlType.valueOf(t.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                g = null;
            }
            if (g == null || !WeightTensors.SUPPORTED.contains(g) || g == GgmlType.Q4_1 || g == GgmlType.Q5_1 || g == GgmlType.Q5_K) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--types: '" + t + "' is not benchmarked; use Q4_0, Q8_0, Q5_0, Q4_K, Q6_K, F16, BF16, F32");
            }
            ts.add(g);
        }
        for (String s : shapes) {
            if (!s.matches("\\d+x\\d+")) throw new CommandLine.ParameterException(spec.commandLine(), "--shapes: '" + s + "' is not ROWSxCOLS");
        }
        if (threads < 1 || batches.stream().anyMatch(b -> b < 1)) throw new CommandLine.ParameterException(spec.commandLine(), "--threads and --batches must be at least 1");
        List<Boolean> tiles = abTile ? List.of(true, false) : List.of(true);
        NativeKernels.Options o = quick
                ? new NativeKernels.Options(ts, shapes, batches, threads, 2, 300, 2, 500, 1, workingSetMb, !noGc, tiles, layouts)
                : new NativeKernels.Options(ts, shapes, batches, threads, 3, 1000, 5, 1000, forks, workingSetMb, !noGc, tiles, layouts);
        List<NativeKernelResult> results = NativeKernels.run(o);
        System.out.println(NativeKernels.setup(o));
        System.out.println();
        System.out.print(NativeKernels.table(results));
        Path dir = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
        NativeKernels.write(dir, o, results);
        System.err.println("bench: wrote " + dir.resolve("native-kernels.json") + " and .md");
        return 0;
    }
}
