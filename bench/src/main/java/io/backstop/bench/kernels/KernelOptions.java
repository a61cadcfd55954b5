package io.backstop.bench.kernels;

import java.util.List;

/**
 * What {@link Kernels#run} measures and how long.
 *
 * @param shapes weight matrices, rows x cols (out x in)
 * @param batches activation rows per product (1 = decode, 64 = prefill)
 * @param dtypes weight dtypes, see {@link KernelDtype}
 * @param threads Jlama compute threads (0 = its default, physical cores)
 * @param warmupIterations JMH warmup iterations per param set
 * @param warmupMillis length of one warmup iteration
 * @param iterations JMH measurement iterations per param set
 * @param iterationMillis length of one measurement iteration
 * @param workingSetMb rotate each product's weights over copies totalling at least this many MB, so that they
 *     come from memory rather than cache as when decoding a real model (0: one copy, cache-hot)
 * @param forks JMH forks per param set (0 = in this JVM, which then needs the Jlama JVM flags itself)
 * @param panama force Jlama's pure-Java Panama kernels instead of its native (jlama-native) ones
 * @param progress print JMH's progress to stderr
 */
public record KernelOptions(List<MatrixShape> shapes, List<Integer> batches, List<KernelDtype> dtypes, int threads,
                            int warmupIterations, long warmupMillis, int iterations, long iterationMillis, int workingSetMb,
                            int forks, boolean panama, boolean progress) {
    /** Llama-1B-ish layers: attention/output projection, MLP up, MLP down, vocab logits. */
    public static final List<MatrixShape> LLM_SHAPES = List.of(new MatrixShape(2048, 2048), new MatrixShape(5632, 2048),
            new MatrixShape(2048, 5632), new MatrixShape(32000, 2048));
    public static final List<KernelDtype> ENGINE_DTYPES = List.of(KernelDtype.F32, KernelDtype.BF16, KernelDtype.Q4);

    public KernelOptions {
        shapes = List.copyOf(shapes);
        batches = List.copyOf(batches);
        dtypes = List.copyOf(dtypes);
        if (shapes.isEmpty() || batches.isEmpty() || dtypes.isEmpty()) throw new IllegalArgumentException("nothing to measure");
        if (batches.stream().anyMatch(b -> b <= 0)) throw new IllegalArgumentException("batch sizes must be positive: " + batches);
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0: " + threads);
        if (warmupIterations < 0 || iterations < 1 || forks < 0) {
            throw new IllegalArgumentException("need warmup >= 0, iterations >= 1, forks >= 0");
        }
        if (workingSetMb < 0) throw new IllegalArgumentException("working set must be >= 0 MB: " + workingSetMb);
        if (warmupMillis < 1 || iterationMillis < 1) throw new IllegalArgumentException("iteration times must be >= 1 ms");
    }

    /** Weights rotated over at least this much memory by default: several times the L3 one core can use on most CPUs. */
    public static final int DEFAULT_WORKING_SET_MB = 256;

    /** All LLM shapes, batch 1 and 64, the engine's dtypes; 2 warmup × 1 s, 3 × 1 s, one fork each; cold weights. */
    public static KernelOptions defaults() {
        return new KernelOptions(LLM_SHAPES, List.of(1, 64), ENGINE_DTYPES, 0, 2, 1000, 3, 1000, DEFAULT_WORKING_SET_MB, 1, false, true);
    }

    /** 2048x2048 and 5632x2048 only; 1 warmup × 0.5 s, 2 × 0.5 s. */
    public static KernelOptions quick() {
        return new KernelOptions(LLM_SHAPES.subList(0, 2), List.of(1, 64), ENGINE_DTYPES, 0, 1, 500, 2, 500, DEFAULT_WORKING_SET_MB, 1, false, true);
    }

    /** One 100 ms iteration of a tiny product per dtype, in this JVM: checks the benchmark works, measures nothing. */
    public static KernelOptions smoke() {
        return new KernelOptions(List.of(new MatrixShape(512, 512)), List.of(1, 4), ENGINE_DTYPES, 0, 0, 100, 1, 100, 0, 0, false, false);
    }

    public KernelOptions withShapes(List<MatrixShape> v) {
        return new KernelOptions(v, batches, dtypes, threads, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, forks, panama, progress);
    }

    public KernelOptions withBatches(List<Integer> v) {
        return new KernelOptions(shapes, v, dtypes, threads, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, forks, panama, progress);
    }

    public KernelOptions withDtypes(List<KernelDtype> v) {
        return new KernelOptions(shapes, batches, v, threads, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, forks, panama, progress);
    }

    public KernelOptions withThreads(int v) {
        return new KernelOptions(shapes, batches, dtypes, v, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, forks, panama, progress);
    }

    public KernelOptions withWarmup(int n, long millis) {
        return new KernelOptions(shapes, batches, dtypes, threads, n, millis, iterations, iterationMillis, workingSetMb, forks, panama, progress);
    }

    public KernelOptions withMeasurement(int n, long millis) {
        return new KernelOptions(shapes, batches, dtypes, threads, warmupIterations, warmupMillis, n, millis, workingSetMb, forks, panama, progress);
    }

    public KernelOptions withWorkingSetMb(int v) {
        return new KernelOptions(shapes, batches, dtypes, threads, warmupIterations, warmupMillis, iterations, iterationMillis, v, forks, panama, progress);
    }

    public KernelOptions withForks(int v) {
        return new KernelOptions(shapes, batches, dtypes, threads, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, v, panama, progress);
    }

    public KernelOptions withPanama(boolean v) {
        return new KernelOptions(shapes, batches, dtypes, threads, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, forks, v, progress);
    }

    public KernelOptions withProgress(boolean v) {
        return new KernelOptions(shapes, batches, dtypes, threads, warmupIterations, warmupMillis, iterations, iterationMillis, workingSetMb, forks, panama, v);
    }
}
