package io.backstop.bench.intdot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@link IntDotBenchmark}'s kernels raced in ONE JVM, interleaved round by round, for a machine shared with
 * other work: each round times every kernel once (a few products each), and the minimum and median over
 * rounds are reported, so load that comes and goes hits all kernels alike.
 * Usage: {@code IntDotRace <shape> <batch> <workingSetMb> <rounds> <kernel>...}; {@code -Dprequantized=true}
 * prepares the activations once (the kernels alone). Pass {@code -XX:CompileCommand=dontinline,} for
 * {@code io.backstop.bench.intdot.Q8Kernels::*TwoRows*}, {@code Q4Kernels::*TwoRows*} and {@code Activations::*}:
 * otherwise C2 inlines every raced kernel into one {@code matmul} and may exceed its inlining budget.
 */
public final class IntDotRace {
    private IntDotRace() {}

    public static void main(String[] args) {
        String shape = args[0];
        int batch = Integer.parseInt(args[1]), mb = Integer.parseInt(args[2]), rounds = Integer.parseInt(args[3]);
        List<IntDotBenchmark> benches = new ArrayList<>();
        List<String> names = Arrays.asList(args).subList(4, args.length);
        for (String k : names) {
            IntDotBenchmark b = new IntDotBenchmark();
            b.kernel = k;
            b.shape = shape;
            b.batch = batch;
            b.workingSetMb = mb;
            b.prepareEach = !Boolean.getBoolean("prequantized");
            b.setup();
            benches.add(b);
        }
        int per = 8;
        long[][] ns = new long[names.size()][rounds];
        float sink = 0;
        for (int w = 0; w < 3; w++) for (IntDotBenchmark b : benches) for (int i = 0; i < 200; i++) sink += b.matmul()[0];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < benches.size(); k++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < per; i++) sink += benches.get(k).matmul()[0];
                ns[k][r] = (System.nanoTime() - t0) / per;
            }
        }
        for (int k = 0; k < names.size(); k++) {
            Arrays.sort(ns[k]);
            System.out.printf(Locale.ROOT, "%s batch %d %-10s min %8.1f us  median %8.1f us%n", shape, batch, names.get(k), ns[k][0] / 1e3, ns[k][rounds / 2] / 1e3);
        }
        if (sink == 42) System.out.println();
    }
}
