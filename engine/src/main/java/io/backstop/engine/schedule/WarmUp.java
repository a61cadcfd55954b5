package io.backstop.engine.schedule;

import io.backstop.engine.backend.BatchRunner;
import io.backstop.engine.backend.StepBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a batch runner's step shapes once before it serves, as llama.cpp's server warms up with an empty run: prompt
 * chunks of {@link #CHUNKS} tokens, then a decode step of 1, 2, 3, 4, 8, 16 … sequences up to the most that run at once,
 * then waits until the JIT has compiled what they queued ({@link JitBacklog}). The JIT compiles each matrix kernel the
 * first time a shape reaches it (Q4_0 alone has one per tokens-per-pass); without this the first requests at each
 * concurrency pay for it. The sequences hold only the vocabulary's last token; the prefix cache is emptied afterwards,
 * so the runner serves its first request as if nothing had run.
 */
public final class WarmUp {
    /**
     * The warm-up's prompt chunks (each at most prefill_tokens), one after the other in one sequence: 32 fills the tiled
     * kernels' token block; 17 leaves a block with one real token, so every "is this token real" branch of the tile
     * (transposition, accumulators out) has gone both ways before C2 compiles it; 5 is a prompt chunk below the tile.
     * With 32 alone, a real request's first odd chunk (a 26-token prompt) hit branches C2 had compiled as never taken:
     * HotSpot dropped those kernels back to the interpreter during that request (JFR: unstable_if, reinterpret) and
     * compiled them again.
     */
    static final int[] CHUNKS = {32, 17, 5};
    /** The prompt's last chunk: its last token a decode row beside the others (a prefix-cache hit's few tokens). */
    static final int LAST_CHUNK = 5;
    /**
     * Decode steps per batch size: one is enough to queue the kernels' methods for compilation (C2 compiles in the
     * background); a second only waited for it (TinyLlama Q4_0 on a loaded host: ready after 80 s with two, 45 s with one).
     */
    static final int STEPS = 1;

    private WarmUp() {}

    /**
     * @param maxRunning sequences that decode at once
     * @param prefillTokens prompt tokens per step (the warm-up's prompt chunk)
     * @return the rows of each step run, in order (what a test checks)
     */
    public static List<Integer> run(BatchRunner runner, int maxRunning, int prefillTokens) {
        List<Integer> steps = steps(runner, maxRunning, prefillTokens);
        JitBacklog.awaitEngine();
        return steps;
    }

    private static List<Integer> steps(BatchRunner runner, int maxRunning, int prefillTokens) {
        int vocab = runner.logits().length / runner.maxRows();
        int token = vocab - 1;
        List<Integer> steps = new ArrayList<>();
        StepBatch batch = new StepBatch(runner.maxRows());
        List<BatchRunner.Sequence> open = new ArrayList<>();
        try {
            BatchRunner.Sequence first = runner.open(new int[] {token}, 0, false);
            if (first == null) return steps;
            open.add(first);
            for (int chunk : chunks(Math.min(prefillTokens, runner.maxRows()))) {
                int from = first.position();
                if (!first.reserve(from + chunk + 1)) return steps;
                for (int p = from; p < from + chunk; p++) batch.addPrompt(first, p, token, p == from + chunk - 1);
                step(runner, batch, steps);
            }
            // the prompt's end, as the scheduler runs every prompt's: its last token in the decode form beside the
            // chunk's other rows (a mixed step, whose split products C2 would otherwise first meet in a request)
            int from = first.position(), end = Math.min(LAST_CHUNK, Math.min(prefillTokens, runner.maxRows()));
            if (!first.reserve(from + end + 1)) return steps;
            batch.add(first, from + end - 1, token, true);
            for (int p = from; p < from + end - 1; p++) batch.addPrompt(first, p, token, false);
            step(runner, batch, steps);
            for (int size : sizes(maxRunning)) {
                while (open.size() < size) {
                    BatchRunner.Sequence s = runner.open(new int[] {token}, 0, false);
                    if (s == null) return steps; // the KV budget is smaller than the batch: nothing more to warm
                    open.add(s);
                }
                for (int k = 0; k < STEPS; k++) {
                    for (int i = 0; i < size; i++) {
                        BatchRunner.Sequence s = open.get(i);
                        if (!s.reserve(s.position() + 1)) return steps;
                        batch.add(s, s.position(), token, true);
                    }
                    step(runner, batch, steps);
                }
            }
            return steps;
        } finally {
            for (BatchRunner.Sequence s : open) s.close();
            runner.clearCache();
        }
    }

    private static void step(BatchRunner runner, StepBatch batch, List<Integer> steps) {
        runner.step(batch);
        steps.add(batch.size());
        batch.clear();
    }

    /** {@link #CHUNKS} cut to {@code most} tokens, each size once. */
    static List<Integer> chunks(int most) {
        List<Integer> chunks = new ArrayList<>();
        for (int c : CHUNKS) {
            int size = Math.min(c, most);
            if (size > 0 && !chunks.contains(size)) chunks.add(size);
        }
        return chunks;
    }

    /** 1, 2, 3, 4, then doubling, up to {@code max} (included). */
    static List<Integer> sizes(int max) {
        List<Integer> sizes = new ArrayList<>();
        for (int s = 1; s <= Math.min(4, max); s++) sizes.add(s);
        for (int s = 8; s < max; s *= 2) sizes.add(s);
        if (max > 4 && sizes.get(sizes.size() - 1) != max) sizes.add(max);
        return sizes;
    }
}
