package io.backstop.bench.kernels;

import io.backstop.bench.Hardware;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop bench kernels}: Jlama's matrix products at real LLM shapes, per weight dtype, measured with JMH. */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = {"JMH: Jlama's matrix products at LLM shapes per weight dtype (GFLOP/s, weight GB/s).",
                "Matrix-vector (batch 1, decode) and matrix-matrix (batch 64, prefill) products at out×in 2048×2048,"
                        + " 5632×2048, 2048×5632, 32000×2048 for F32, BF16 and Q4 weights with the activation types the engine"
                        + " uses (F32, BF16, I8): time per op, GFLOP/s and effective weight GB/s. Each product is first checked"
                        + " against a plain-Java one (the result column)."})
public final class KernelsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--quick", description = "2048×2048 and 5632×2048 only, 1 warmup + 2 × 0.5 s iterations.")
    boolean quick;

    @Option(names = "--smoke", description = "One 100 ms iteration of a tiny product per dtype, in-process: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--shapes", split = ",", paramLabel = "ROWSxCOLS", description = "Weight shapes, out×in (default: the four LLM shapes).")
    List<String> shapes;

    @Option(names = "--batch", split = ",", paramLabel = "N", description = "Activation rows (default: 1,64).")
    List<Integer> batches;

    @Option(names = "--dtypes", split = ",", paramLabel = "DTYPE",
            description = "F32, BF16, Q4 (default: all three); also BF16_F32, Q4_F32 (F32 activations).")
    List<String> dtypes;

    @Option(names = "--threads", paramLabel = "N", description = "Jlama compute threads (default: its default, physical cores).")
    Integer threads;

    @Option(names = "--warmups", paramLabel = "N", description = "Warmup iterations (default: 2; --quick 1).")
    Integer warmups;

    @Option(names = "--warmup-ms", paramLabel = "MS", description = "Warmup iteration length (default: 1000; --quick 500).")
    Long warmupMillis;

    @Option(names = "--iterations", paramLabel = "N", description = "Measured iterations (default: 3; --quick 2).")
    Integer iterations;

    @Option(names = "--iteration-ms", paramLabel = "MS", description = "Measured iteration length (default: 1000; --quick 500).")
    Long iterationMillis;

    @Option(names = "--working-set-mb", paramLabel = "MB",
            description = "Rotate the weights over copies totalling at least MB, so they come from memory as in a real"
                    + " model (default: 256; 0 = one copy, cache-hot, which flatters matrices that fit in L3; --smoke: 0).")
    Integer workingSetMb;

    @Option(names = "--forks", paramLabel = "N", description = "JMH forks per row (default: 1; 0 runs in this JVM).")
    Integer forks;

    @Option(names = "--panama", description = "Force Jlama's pure-Java (Panama) kernels instead of the native ones.")
    boolean panama;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        KernelOptions o;
        try {
            o = options();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        long start = System.nanoTime();
        List<KernelResult> results = Kernels.run(o);
        String table = Kernels.table(results);
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.println(Kernels.setup(o, results));
        System.out.println();
        System.out.print(table);
        long wrong = results.stream().filter(r -> r.outputsChecked() > 0 && !r.correct()).count();
        if (wrong > 0) System.err.println("bench: " + wrong + " of " + results.size() + " kernels computed wrong outputs (see the result column)");
        System.err.printf(java.util.Locale.ROOT, "bench: kernels took %.0f s%n", (System.nanoTime() - start) / 1e9);
        if (!smoke) {
            Path dir = out != null ? out : Path.of(System.getProperty("backstop.home", "."), "bench/results");
            Kernels.write(dir, o, results);
            System.err.println("bench: wrote " + dir.resolve("kernels.json") + " and .md");
        }
        return 0;
    }

    KernelOptions options() {
        KernelOptions o = smoke ? KernelOptions.smoke() : quick ? KernelOptions.quick() : KernelOptions.defaults();
        if (shapes != null) o = o.withShapes(shapes.stream().map(MatrixShape::parse).toList());
        if (batches != null) o = o.withBatches(batches);
        if (dtypes != null) o = o.withDtypes(dtypes.stream().map(KernelDtype::parse).toList());
        if (threads != null) o = o.withThreads(threads);
        if (warmups != null || warmupMillis != null) {
            o = o.withWarmup(warmups != null ? warmups : o.warmupIterations(), warmupMillis != null ? warmupMillis : o.warmupMillis());
        }
        if (iterations != null || iterationMillis != null) {
            o = o.withMeasurement(iterations != null ? iterations : o.iterations(),
                    iterationMillis != null ? iterationMillis : o.iterationMillis());
        }
        if (workingSetMb != null) o = o.withWorkingSetMb(workingSetMb);
        if (forks != null) o = o.withForks(forks);
        if (panama) o = o.withPanama(true);
        return o;
    }
}
