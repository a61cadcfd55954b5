package io.backstop.bench.step;

import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.model.ForwardPass;
import io.backstop.engine.backend.gguf.model.KvBlocks;
import io.backstop.engine.backend.gguf.model.KvCache;
import io.backstop.engine.backend.gguf.model.Transformer;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One batched decode step of the native engine as continuous batching runs it (one token for each of
 * {@code batch} sequences, every one wanting its logits), timed per phase of the forward pass
 * ({@link ForwardPass#profile}). Every sequence first reads a prompt of {@code context} tokens; then
 * each step runs at position {@code context} again, so every batch size attends over the same KV.
 */
public final class StepBench {
    /** Milliseconds per step, in total and per phase ({@link ForwardPass#PHASE_NAMES}). */
    public record Row(int batch, int steps, double stepMillis, double[] phaseMillis, double allocBytesPerStep, double cpuMillis, double handoffMillis) {
        public double tokensPerSecond() {
            return batch * 1000 / stepMillis;
        }
    }

    private StepBench() {}

    public static List<Row> run(Path gguf, List<Integer> batches, int context, int threads, int warmups, int steps, DecodeLayout layout) throws Exception {
        int most = batches.stream().mapToInt(Integer::intValue).max().orElse(1);
        try (GgufFile file = GgufFile.open(gguf); ComputePool pool = ComputePool.shared(threads)) {
            Transformer t = Transformer.of(file, layout);
            int vocab = t.config().vocab();
            ForwardPass pass = ForwardPass.forBatches(t, pool, Math.max(most, ForwardPass.CHUNK));
            KvBlocks blocks = new KvBlocks(t.config(), most * KvBlocks.blocksFor(context + 1));
            KvCache[] seqs = new KvCache[most];
            float[] logits = new float[pass.capacity() * vocab];
            for (int s = 0; s < most; s++) {
                seqs[s] = blocks.newSequence(t.config().contextLength());
                if (!seqs[s].ensure(context + 1)) throw new IllegalStateException("KV budget");
                prefill(pass, seqs[s], context, s, vocab, logits);
            }
            List<Row> rows = new ArrayList<>();
            for (int b : batches) {
                KvCache[] rowSeqs = new KvCache[b];
                int[] positions = new int[b], tokens = new int[b], logitRows = new int[b];
                for (int r = 0; r < b; r++) {
                    rowSeqs[r] = seqs[r];
                    positions[r] = context;
                    tokens[r] = 3 + (r * 31 + 7) % (vocab - 3);
                    logitRows[r] = r;
                }
                pool.lock().lock();
                try {
                    for (int i = 0; i < warmups; i++) pass.forward(rowSeqs, positions, tokens, b, logitRows, b, logits);
                    long[] phases = new long[ForwardPass.PHASES];
                    pass.profile(phases);
                    long allocated = allocated(), cpu = cpuNanos();
                    long start = System.nanoTime();
                    for (int i = 0; i < steps; i++) pass.forward(rowSeqs, positions, tokens, b, logitRows, b, logits);
                    long total = System.nanoTime() - start;
                    double alloc = (double) (allocated() - allocated) / steps, cpuMs = (cpuNanos() - cpu) / 1e6 / steps;
                    pass.profile(null);
                    double[] ms = new double[phases.length];
                    for (int i = 0; i < ms.length; i++) ms[i] = phases[i] / 1e6 / steps;
                    rows.add(new Row(b, steps, total / 1e6 / steps, ms, alloc, cpuMs, handoffMillis(pool, t.config().layers(), steps)));
                } finally {
                    pool.lock().unlock();
                }
            }
            for (KvCache s : seqs) s.close();
            return rows;
        }
    }

    /**
     * What handing work to the pool and waiting for it costs per step, apart from the work: as many empty
     * fork/joins as a step has (five per layer and the logits), each of 16 chunks as a pass splits its products.
     */
    private static double handoffMillis(ComputePool pool, int layers, int steps) {
        ComputePool.Task empty = (chunk, chunks, worker) -> {};
        int joins = 5 * layers + 1;
        long start = System.nanoTime();
        for (int i = 0; i < steps * joins; i++) pool.run(empty, 8 * pool.size());
        return (System.nanoTime() - start) / 1e6 / steps;
    }

    /** The sequence's prompt of {@code context} tokens, in chunks, as a prompt is read. */
    private static void prefill(ForwardPass pass, KvCache seq, int context, int salt, int vocab, float[] logits) {
        int chunk = pass.capacity();
        KvCache[] seqs = new KvCache[chunk];
        int[] positions = new int[chunk], tokens = new int[chunk];
        for (int p0 = 0; p0 < context; p0 += chunk) {
            int n = Math.min(chunk, context - p0);
            for (int i = 0; i < n; i++) {
                seqs[i] = seq;
                positions[i] = p0 + i;
                tokens[i] = 3 + ((p0 + i) * 131 + salt * 17) % (vocab - 3);
            }
            pass.forward(seqs, positions, tokens, n, new int[0], 0, logits);
        }
    }

    /** Bytes allocated so far by every thread of the process (the compute pool's included); -1 where unknown. */
    private static long allocated() {
        return java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemoryEnabled()
                ? t.getTotalThreadAllocatedBytes() : -1;
    }

    /** CPU time of the whole process so far: on a shared machine, the work a step did, apart from waiting for a core. */
    private static long cpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean o ? o.getProcessCpuTime() : -1;
    }

    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| phase (ms per step) |");
        for (Row r : rows) sb.append(" batch ").append(r.batch()).append(" |");
        sb.append("\n|---|").append("---:|".repeat(rows.size())).append('\n');
        for (int p = 0; p < ForwardPass.PHASES; p++) {
            sb.append("| ").append(ForwardPass.PHASE_NAMES.get(p)).append(" |");
            for (Row r : rows) sb.append(String.format(Locale.ROOT, " %.2f |", r.phaseMillis()[p]));
            sb.append('\n');
        }
        sb.append("| **step** |");
        for (Row r : rows) sb.append(String.format(Locale.ROOT, " **%.2f** |", r.stepMillis()));
        sb.append("\n| step ÷ batch-1 step |");
        for (Row r : rows) sb.append(String.format(Locale.ROOT, " %.2f× |", r.stepMillis() / rows.get(0).stepMillis()));
        sb.append("\n| of which pool fork/joins (empty tasks, 5 per layer + 1) |");
        for (Row r : rows) sb.append(String.format(Locale.ROOT, " %.2f |", r.handoffMillis()));
        sb.append("\n| process CPU ms per step |");
        for (Row r : rows) sb.append(String.format(Locale.ROOT, " %.1f |", r.cpuMillis()));
        sb.append("\n| allocated (KB per step, all threads) |");
        for (Row r : rows) sb.append(String.format(Locale.ROOT, " %.1f |", r.allocBytesPerStep() / 1024));
        sb.append("\n| tok/s (batch ÷ step) |");
        for (Row r : rows) sb.append(String.format(Locale.ROOT, " %.1f |", r.tokensPerSecond()));
        return sb.append('\n').toString();
    }
}
