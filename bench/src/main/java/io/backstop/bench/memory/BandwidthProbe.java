package io.backstop.bench.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Memory bandwidth, measured in this JVM with all threads over arrays far larger than the caches:
 * read-only (a vectorised sum) and triad (a = b + s·c). Decoding a token must read every weight once,
 * so read bandwidth ÷ bytes of weights per token is the physical ceiling of decode tok/s.
 */
public final class BandwidthProbe {
    private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

    /** GB/s (10^9 bytes per second), best of the repetitions. */
    public record Result(int threads, long bytesPerArray, double readGBps, double triadGBps) {}

    private BandwidthProbe() {}

    /**
     * @param megabytes size of each array (3 for triad, 1 for read); use ≥ 8× the last-level cache
     */
    public static Result measure(int threads, int megabytes, int repetitions) throws Exception {
        int n = megabytes * (1 << 20) / Long.BYTES;
        long[] a = new long[n];
        double[] b = new double[n];
        double[] c = new double[n];
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
            c[i] = 1.0;
            d[i] = 2.0;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double bestRead = 0;
            double bestTriad = 0;
            for (int r = 0; r < repetitions + 1; r++) { // the first round warms up the JIT
                long t0 = System.nanoTime();
                long sum = parallel(pool, threads, n, (from, to) -> sum(a, from, to)).stream().mapToLong(Long::longValue).sum();
                long t1 = System.nanoTime();
                parallel(pool, threads, n, (from, to) -> triad(b, c, d, from, to));
                long t2 = System.nanoTime();
                if (sum == 42) System.out.print(""); // keep the sum alive
                if (r == 0) continue;
                bestRead = Math.max(bestRead, (double) n * Long.BYTES / (t1 - t0));
                bestTriad = Math.max(bestTriad, 3.0 * n * Double.BYTES / (t2 - t1));
            }
            return new Result(threads, (long) n * Long.BYTES, bestRead, bestTriad);
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Range {
        long run(int from, int to);
    }

    private static List<Long> parallel(ExecutorService pool, int threads, int n, Range body) throws Exception {
        List<Future<Long>> parts = new ArrayList<>();
        int chunk = (n + threads - 1) / threads;
        for (int t = 0; t < threads; t++) {
            int from = t * chunk;
            int to = Math.min(n, from + chunk);
            Callable<Long> task = () -> body.run(from, to);
            parts.add(pool.submit(task));
        }
        List<Long> out = new ArrayList<>();
        for (Future<Long> f : parts) out.add(f.get());
        return out;
    }

    private static long sum(long[] a, int from, int to) {
        LongVector acc = LongVector.zero(LONGS);
        int i = from;
        int upper = from + LONGS.loopBound(to - from);
        for (; i < upper; i += LONGS.length()) acc = acc.add(LongVector.fromArray(LONGS, a, i));
        long s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) s += a[i];
        return s;
    }

    private static long triad(double[] b, double[] c, double[] d, int from, int to) {
        for (int i = from; i < to; i++) b[i] = c[i] + 3.0 * d[i]; // C2 vectorises this loop
        return 0;
    }
}
