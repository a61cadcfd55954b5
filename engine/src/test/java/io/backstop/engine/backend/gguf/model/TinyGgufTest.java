package io.backstop.engine.backend.gguf.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.GgufFixtures;
import io.backstop.engine.backend.gguf.GgufFixtures.TinyReference;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native engine on tiny-gguf's random-weight models, every file against its float64 {@code .exact}
 * reference (the same weights dequantized, no activation rounding: what our kernels compute, since
 * activations stay F32) and against llama.cpp's own logits. Prints the logit-error table per type.
 */
class TinyGgufTest {
    /** Max |Δlogit| allowed against the float64 reference, for every type (measured: ≤ 3e-6). */
    static final double EXACT_TOLERANCE = 1e-4;
    /** F32 files against llama.cpp (issue 9). */
    static final double LLAMA_CPP_F32_TOLERANCE = 1e-4;

    static final String[] FILES = {
            "tiny-llama-F32.gguf", "tiny-llama-F16.gguf", "tiny-llama-BF16.gguf", "tiny-llama-Q8_0.gguf", "tiny-llama-Q6_K.gguf",
            "tiny-llama-Q5_K_M.gguf", "tiny-llama-Q5_0.gguf", "tiny-llama-Q4_K_M.gguf", "tiny-llama-Q4_0.gguf",
            "tiny-qwen2-F16.gguf", "tiny-qwen2-Q8_0.gguf", "tiny-qwen2-Q4_K_M.gguf",
            "tiny-qwen3-F16.gguf", "tiny-qwen3-Q8_0.gguf", "tiny-qwen3-Q4_K_M.gguf"};

    static ComputePool pool;

    @BeforeAll
    static void pool() {
        pool = ComputePool.shared(2);
    }

    @AfterAll
    static void release() {
        pool.close();
    }

    record Row(String file, double exactMax, double exactRms, int exactGreedy, int exactComparable,
               double llamaMax, double llamaRms, int llamaGreedy) {}

    @Test
    void logitsMatchTheReferencesForEveryTensorType() {
        List<Row> rows = new ArrayList<>();
        for (String f : FILES) rows.add(measure(f));
        System.out.println(table(rows));
        for (Row r : rows) {
            assertThat(r.exactMax()).as("%s: max |Δlogit| vs the float64 reference", r.file()).isLessThanOrEqualTo(EXACT_TOLERANCE);
            if (!r.file().contains("Q4_0")) { // Q4_0's decode steps round activations: oneSequenceCopiesWithEightBitActivations…
                assertThat(r.exactGreedy()).as("%s: greedy ids equal to the float64 reference's while its top-2 gap exceeds our error", r.file())
                        .isEqualTo(r.exactComparable());
            }
            if (r.file().contains("F32")) {
                assertThat(r.llamaMax()).as("%s: max |Δlogit| vs llama.cpp", r.file()).isLessThanOrEqualTo(LLAMA_CPP_F32_TOLERANCE);
                assertThat(r.llamaGreedy()).as("%s: greedy ids = llama.cpp's", r.file()).isEqualTo(32);
            }
        }
    }

    /**
     * The one-sequence copies of Q8_0 and Q6_K (Q8_0's rows in lanes sum in another order than its row pairs, Q6_K's
     * rows in lanes are both copies'): the prompt's logits, the prompt fed token by token and the greedy continuation
     * stay within the float64 reference's tolerance, as the batch copy's must.
     */
    @Test
    void theOneSequenceCopiesOfQ8_0AndQ6_KMatchTheReferences() {
        for (String f : new String[] {"tiny-llama-Q8_0.gguf", "tiny-llama-Q6_K.gguf"}) {
            Row r = measure(f, DecodeLayout.ONE_SEQUENCE);
            assertThat(r.exactMax()).as("%s one sequence: max |Δlogit| vs the float64 reference", f).isLessThanOrEqualTo(EXACT_TOLERANCE);
            assertThat(r.exactGreedy()).as("%s one sequence: greedy ids equal to the float64 reference's", f).isEqualTo(r.exactComparable());
            try (GgufFile file = GgufFile.open(GgufFixtures.tiny(f))) {
                TinyReference exact = GgufFixtures.tinyReference(f, true);
                float[] steps = tokenByToken(Transformer.of(file, DecodeLayout.ONE_SEQUENCE), exact.promptIds());
                assertThat(maxAbs(steps, exact.logits())).as("%s one sequence, decode steps: max |Δlogit|", f).isLessThanOrEqualTo(EXACT_TOLERANCE);
            }
        }
    }

    /**
     * Q4_0's copy (both layouts: one copy) and Q4_K's one-sequence copy multiply their decode steps' activations rounded to 8 bits per 32 (as
     * llama.cpp rounds them, to Q8_0 or Q8_K, for every quantized product): the prompt (prefill, in floats, in one
     * pass or in chunks below the tile) keeps the float64 reference's tolerance; the prompt fed token by token stays no further from the float64 reference than
     * llama.cpp's own logits are (and within the references' suggested 0.12), and the greedy continuation equals the
     * reference's while its top-2 gap exceeds twice that error.
     */
    @Test
    void oneSequenceCopiesWithEightBitActivationsStayAsCloseToTheReferencesAsLlamaCpp() {
        for (String f : new String[] {"tiny-llama-Q4_0.gguf", "tiny-llama-Q4_K_M.gguf", "tiny-qwen2-Q4_K_M.gguf"}) {
            TinyReference exact = GgufFixtures.tinyReference(f, true), llama = GgufFixtures.tinyReference(f, false);
            try (GgufFile file = GgufFile.open(GgufFixtures.tiny(f))) {
                Transformer tr = Transformer.of(file, DecodeLayout.ONE_SEQUENCE);
                assertThat(maxAbs(promptLogits(tr, exact.promptIds()), exact.logits())).as("%s one sequence, prompt: max |Δlogit|", f)
                        .isLessThanOrEqualTo(EXACT_TOLERANCE);
                assertThat(maxAbs(chunked(tr, exact.promptIds(), 5), exact.logits())).as("%s one sequence, prompt in chunks of 5: max |Δlogit|", f)
                        .isLessThanOrEqualTo(EXACT_TOLERANCE); // a prompt's products stay in floats below the tile too
                float[] steps = tokenByToken(tr, exact.promptIds()), llamas = flat(llama.logits());
                double ours = maxAbs(steps, exact.logits()), theirs = maxAbs(llamas, exact.logits());
                System.out.printf(Locale.ROOT, "%s one sequence, decode steps vs float64: max %.4f RMS %.4f; llama.cpp: max %.4f RMS %.4f%n",
                        f, ours, rms(steps, exact.logits()), theirs, rms(llamas, exact.logits()));
                assertThat(ours).as("%s one sequence, decode steps: max |Δlogit| vs float64, llama.cpp's is %.4f", f, theirs)
                        .isLessThanOrEqualTo(Math.min(theirs, 0.12)).isGreaterThan(0);
                int comparable = 0;
                while (comparable < 32 && exact.greedyGaps()[comparable] > 2 * ours) comparable++;
                assertThat(commonPrefix(greedy(tr, exact.promptIds(), 32), exact.greedyIds(), comparable)).as("%s one sequence: greedy ids", f)
                        .isEqualTo(comparable);
            }
        }
    }

    /** Logits of every prompt position, the prompt in chunks of {@code chunk} tokens. */
    private static float[] chunked(Transformer tr, int[] prompt, int chunk) {
        int vocab = tr.config().vocab();
        ForwardPass pass = tr.newSequence(pool, chunk);
        float[] logits = new float[prompt.length * vocab];
        for (int off = 0; off < prompt.length; off += chunk) {
            int n = Math.min(chunk, prompt.length - off);
            float[] part = new float[n * vocab];
            forward(pass, prompt, off, n, 0, part);
            System.arraycopy(part, 0, logits, off * vocab, n * vocab);
        }
        return logits;
    }

    private static float[] flat(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int t = 0; t < rows.length; t++) System.arraycopy(rows[t], 0, out, t * rows[t].length, rows[t].length);
        return out;
    }

    @Test
    void aPromptGivesTheSameLogitsInChunksOfAnySizeFromFourTokensOn() {
        try (GgufFile file = GgufFile.open(GgufFixtures.tiny("tiny-llama-F16.gguf"))) {
            Transformer tr = Transformer.of(file);
            int[] prompt = java.util.Arrays.copyOf(GgufFixtures.tinyReference("tiny-llama-F16.gguf", true).promptIds(), 12);
            int vocab = tr.config().vocab();
            float[] whole = promptLogits(tr, prompt);
            for (int chunk : new int[] {4, 6}) {
                ForwardPass pass = tr.newSequence(pool, chunk);
                float[] logits = new float[prompt.length * vocab];
                float[] part = new float[chunk * vocab];
                for (int off = 0; off < prompt.length; off += chunk) {
                    forward(pass, prompt, off, chunk, 0, part);
                    System.arraycopy(part, 0, logits, off * vocab, chunk * vocab);
                }
                assertThat(logits).as("chunks of %d", chunk).containsExactly(whole);
            }
        }
    }

    @Test
    void aPromptRunTokenByTokenGivesTheLogitsOfTheBatchedRun() {
        try (GgufFile file = GgufFile.open(GgufFixtures.tiny("tiny-qwen2-Q4_K_M.gguf"))) {
            Transformer tr = Transformer.of(file);
            int[] prompt = GgufFixtures.tinyReference("tiny-qwen2-Q4_K_M.gguf", true).promptIds();
            int vocab = tr.config().vocab();
            float[] batched = promptLogits(tr, prompt);
            ForwardPass one = tr.newSequence(pool);
            float[] logits = new float[vocab];
            for (int t = 0; t < prompt.length; t++) {
                forward(one, prompt, t, 1, 0, logits);
                for (int i = 0; i < vocab; i++) assertThat(logits[i]).isCloseTo(batched[t * vocab + i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void aProfiledPassGivesTheSameLogitsAndCountsTimeInEveryPhase() {
        try (GgufFile file = GgufFile.open(GgufFixtures.tiny("tiny-llama-Q4_0.gguf"))) {
            Transformer tr = Transformer.of(file);
            int[] prompt = GgufFixtures.tinyReference("tiny-llama-Q4_0.gguf", true).promptIds();
            float[] plain = promptLogits(tr, prompt);
            ForwardPass pass = tr.newSequence(pool);
            long[] phases = new long[ForwardPass.PHASES];
            pass.profile(phases);
            float[] profiled = new float[plain.length];
            forward(pass, prompt, 0, prompt.length, 0, profiled);
            assertThat(profiled).containsExactly(plain);
            assertThat(ForwardPass.PHASE_NAMES).hasSize(ForwardPass.PHASES);
            // every phase ran, and took its time from one clock read to the next: none is negative, the pass took some
            for (int i = 0; i < phases.length; i++) assertThat(phases[i]).as(ForwardPass.PHASE_NAMES.get(i)).isNotNegative();
            assertThat(java.util.Arrays.stream(phases).sum()).isPositive();
            pass.profile(null);
            long[] before = phases.clone();
            forward(pass, new int[] {prompt[0]}, 0, 1, 0, new float[tr.config().vocab()]);
            assertThat(phases).as("profiling stopped").containsExactly(before);
        }
    }

    private static Row measure(String f) {
        return measure(f, DecodeLayout.BATCH);
    }

    private static Row measure(String f, DecodeLayout layout) {
        try (GgufFile file = GgufFile.open(GgufFixtures.tiny(f))) {
            Transformer tr = Transformer.of(file, layout);
            TinyReference exact = GgufFixtures.tinyReference(f, true);
            TinyReference llama = GgufFixtures.tinyReference(f, false);
            float[] logits = promptLogits(tr, exact.promptIds());
            int[] greedy = greedy(tr, exact.promptIds(), 32);
            int comparable = 0;
            while (comparable < 32 && exact.greedyGaps()[comparable] > 2 * EXACT_TOLERANCE) comparable++;
            return new Row(f, maxAbs(logits, exact.logits()), rms(logits, exact.logits()), commonPrefix(greedy, exact.greedyIds(), comparable), comparable,
                    maxAbs(logits, llama.logits()), rms(logits, llama.logits()), commonPrefix(greedy, llama.greedyIds(), 32));
        }
    }

    /** Logits of every prompt position, the prompt fed one token per forward pass (decode steps). */
    static float[] tokenByToken(Transformer tr, int[] prompt) {
        int vocab = tr.config().vocab();
        float[] out = new float[prompt.length * vocab], logits = new float[vocab];
        ForwardPass pass = tr.newSequence(pool);
        for (int t = 0; t < prompt.length; t++) {
            forward(pass, prompt, t, 1, 0, logits);
            System.arraycopy(logits, 0, out, t * vocab, vocab);
        }
        return out;
    }

    /** Logits of every prompt position, the prompt as one batch. */
    static float[] promptLogits(Transformer tr, int[] prompt) {
        float[] logits = new float[prompt.length * tr.config().vocab()];
        forward(tr.newSequence(pool), prompt, 0, prompt.length, 0, logits);
        return logits;
    }

    /** Greedy ids after the prompt (argmax, lowest id on ties, no stop). */
    static int[] greedy(Transformer tr, int[] prompt, int steps) {
        int vocab = tr.config().vocab();
        ForwardPass pass = tr.newSequence(pool);
        float[] logits = new float[vocab];
        forward(pass, prompt, 0, prompt.length, prompt.length - 1, logits);
        int[] out = new int[steps];
        for (int s = 0; s < steps; s++) {
            out[s] = GgufFixtures.argmax(logits, 0, vocab);
            if (s + 1 < steps) forward(pass, out, s, 1, 0, logits);
        }
        return out;
    }

    private static void forward(ForwardPass pass, int[] tokens, int off, int n, int logitsFrom, float[] logits) {
        GgufFixtures.forward(pool, pass, tokens, off, n, logitsFrom, logits);
    }

    private static int commonPrefix(int[] a, int[] b, int limit) {
        int i = 0;
        while (i < limit && a[i] == b[i]) i++;
        return i;
    }

    private static double maxAbs(float[] ours, float[][] ref) {
        double m = 0;
        for (int t = 0; t < ref.length; t++) for (int i = 0; i < ref[t].length; i++) m = Math.max(m, Math.abs(ours[t * ref[t].length + i] - ref[t][i]));
        return m;
    }

    private static double rms(float[] ours, float[][] ref) {
        double s = 0;
        int n = 0;
        for (int t = 0; t < ref.length; t++) {
            for (int i = 0; i < ref[t].length; i++, n++) {
                double d = ours[t * ref[t].length + i] - ref[t][i];
                s += d * d;
            }
        }
        return Math.sqrt(s / n);
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| file | vs float64 exact: max | RMS | greedy = exact (steps with gap > 2×tol) | vs llama.cpp: max | RMS | greedy = llama.cpp |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %.1e | %.1e | %d/%d | %.4f | %.4f | %d/32 |%n", r.file(), r.exactMax(), r.exactRms(),
                    r.exactGreedy(), r.exactComparable(), r.llamaMax(), r.llamaRms(), r.llamaGreedy()));
        }
        return sb.toString();
    }
}
