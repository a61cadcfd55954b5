package io.backstop.engine.sampling;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: logit bias, repetition/presence/frequency penalties, an optional
 * token mask (a grammar), then greedy argmax or temperature → top-k → top-p → min-p → a seeded draw.
 * Buffers are reused, so the per-token path allocates nothing. One sampler serves one request.
 */
public final class Sampler {
    /** A mask allowing at most 1/this of the vocabulary is sampled over its tokens only. */
    private static final int SPARSE_FRACTION = 8;

    private final SamplingParams p;
    private final SplittableRandom random;
    private final int[] biasIds;
    private final float[] biasValues;
    private final float[] probs;
    private final int[] candidates;
    private long[] sortKeys = new long[0];

    public Sampler(SamplingParams params, int vocabSize, long seed) {
        this.p = params;
        this.random = new SplittableRandom(seed);
        this.biasIds = new int[params.logitBias().size()];
        this.biasValues = new float[biasIds.length];
        int i = 0;
        for (Map.Entry<Integer, Double> e : params.logitBias().entrySet()) {
            biasIds[i] = e.getKey();
            biasValues[i++] = e.getValue().floatValue();
        }
        this.probs = params.isGreedy() ? null : new float[vocabSize];
        this.candidates = new int[vocabSize];
    }

    /** Chooses a token; {@code logits} is modified in place. */
    public int sample(float[] logits, TokenHistory history) {
        prepare(logits, history);
        return pick(logits, null, 0);
    }

    /** Bias and penalties, in place: the links of the chain before a mask. */
    public void prepare(float[] logits, TokenHistory history) {
        applyBias(logits);
        applyPenalties(logits, history);
    }

    /**
     * Masks the logits (tokens outside {@code mask} become impossible) and picks: greedy or a draw.
     * With few allowed tokens only those are looked at, which gives the same choice as masking all.
     *
     * @param mask    bit t set = token t allowed; null for no mask
     * @param allowed how many bits the mask has set
     */
    public int pick(float[] logits, long[] mask, int allowed) {
        if (mask == null) return p.isGreedy() ? argmax(logits) : draw(logits);
        if (allowed > 0 && allowed <= logits.length / SPARSE_FRACTION) {
            int n = 0;
            for (int w = 0; w < mask.length; w++) {
                for (long m = mask[w]; m != 0; m &= m - 1) {
                    int t = (w << 6) + Long.numberOfTrailingZeros(m);
                    if (t < logits.length) candidates[n++] = t;
                }
            }
            if (n > 0) return p.isGreedy() ? argmaxOf(logits, n) : drawAmong(logits, n);
        }
        applyMask(logits, mask);
        return p.isGreedy() ? argmax(logits) : draw(logits);
    }

    /** Sets the logits of tokens outside the mask to −∞. */
    static void applyMask(float[] logits, long[] mask) {
        int n = logits.length;
        for (int w = 0; w < mask.length && (w << 6) < n; w++) {
            long m = mask[w];
            if (m == -1L) continue;
            int base = w << 6, end = Math.min(n, base + 64);
            if (m == 0) {
                Arrays.fill(logits, base, end, Float.NEGATIVE_INFINITY);
                continue;
            }
            for (int i = base; i < end; i++) if ((m & (1L << i)) == 0) logits[i] = Float.NEGATIVE_INFINITY;
        }
        if ((long) mask.length << 6 < n) Arrays.fill(logits, mask.length << 6, n, Float.NEGATIVE_INFINITY);
    }

    private int argmaxOf(float[] logits, int n) {
        int best = candidates[0];
        for (int i = 1; i < n; i++) if (logits[candidates[i]] > logits[best]) best = candidates[i];
        return best;
    }

    /** The draw over a small candidate set (ids ascending in {@code candidates}), same steps as {@link #draw}. */
    private int drawAmong(float[] logits, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[candidates[i]]);
        float invT = (float) (1.0 / p.temperature());
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp((logits[candidates[i]] - max) * invT);
            probs[candidates[i]] = e;
            sum += e;
        }
        int count = n;
        if ((p.topK() > 0 && p.topK() < n) || p.topP() < 1.0) {
            ensureSortKeys(n);
            for (int i = 0; i < n; i++) {
                int t = candidates[i];
                sortKeys[i] = ((long) Float.floatToRawIntBits(probs[t]) << 32) | (0xFFFFFFFFL - t);
            }
            Arrays.sort(sortKeys, 0, n);
            for (int j = 0; j < n; j++) candidates[j] = (int) (0xFFFFFFFFL - (sortKeys[n - 1 - j] & 0xFFFFFFFFL));
            if (p.topK() > 0) count = Math.min(count, p.topK());
        }
        if (p.topP() < 1.0) count = nucleus(count, sum);
        if (p.minP() > 0) count = applyMinP(count);
        double total = 0;
        for (int i = 0; i < count; i++) total += probs[candidates[i]];
        double r = random.nextDouble() * total;
        double acc = 0;
        for (int i = 0; i < count; i++) {
            acc += probs[candidates[i]];
            if (acc > r) return candidates[i];
        }
        return candidates[count - 1];
    }

    private void applyBias(float[] logits) {
        for (int i = 0; i < biasIds.length; i++) {
            if (biasIds[i] < logits.length) logits[biasIds[i]] += biasValues[i];
        }
    }

    private void applyPenalties(float[] logits, TokenHistory h) {
        if (p.repetitionPenalty() != 1.0) {
            float rp = (float) p.repetitionPenalty();
            for (int i = 0; i < h.distinctSeenSize(); i++) {
                int t = h.distinctSeen(i);
                if (t >= logits.length) continue;
                logits[t] = logits[t] > 0 ? logits[t] / rp : logits[t] * rp;
            }
        }
        if (p.presencePenalty() != 0 || p.frequencyPenalty() != 0) {
            for (int i = 0; i < h.distinctGeneratedSize(); i++) {
                int t = h.distinctGenerated(i);
                if (t >= logits.length) continue;
                logits[t] -= (float) (p.presencePenalty() + p.frequencyPenalty() * h.generatedCount(t));
            }
        }
    }

    /** Index of the first maximum, as llama2.c and llama.cpp's greedy samplers pick it. */
    static int argmax(float[] logits) {
        int best = 0;
        float max = logits[0];
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > max) {
                max = logits[i];
                best = i;
            }
        }
        return best;
    }

    private int draw(float[] logits) {
        int n = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        float invT = (float) (1.0 / p.temperature());
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp((logits[i] - max) * invT);
            probs[i] = e;
            sum += e;
        }
        int count = 0;
        // Candidates in descending probability order are needed only for top-k / top-p.
        boolean needOrder = (p.topK() > 0 && p.topK() < n) || p.topP() < 1.0;
        if (needOrder) {
            count = orderedCandidates(sum);
        } else {
            for (int i = 0; i < n; i++) candidates[count++] = i;
        }
        if (p.topP() < 1.0) count = nucleus(count, sum);
        if (p.minP() > 0) count = applyMinP(count);
        double total = 0;
        for (int i = 0; i < count; i++) total += probs[candidates[i]];
        double r = random.nextDouble() * total;
        double acc = 0;
        for (int i = 0; i < count; i++) {
            acc += probs[candidates[i]];
            if (acc > r) return candidates[i];
        }
        return candidates[count - 1];
    }

    /**
     * Fills candidates with the most probable tokens, best first. With top-p alone we only sort the
     * tokens above a probability floor that already covers top_p of the mass: exact, and far cheaper
     * than sorting a 128K vocabulary.
     */
    private int orderedCandidates(double sum) {
        int n = probs.length;
        int k = p.topK() > 0 ? Math.min(p.topK(), n) : n;
        double floor = p.topK() > 0 ? 0 : 1e-3 * sum;
        while (true) {
            int m = 0;
            double mass = 0;
            ensureSortKeys(n);
            for (int i = 0; i < n; i++) {
                if (probs[i] >= floor) {
                    // probabilities are ≥ 0, so their float bits sort like the values
                    sortKeys[m++] = ((long) Float.floatToRawIntBits(probs[i]) << 32) | (0xFFFFFFFFL - i);
                    mass += probs[i];
                }
            }
            if (floor > 0 && mass < p.topP() * sum && m < n) {
                floor /= 100;
                if (floor < 1e-30) floor = 0;
                continue;
            }
            Arrays.sort(sortKeys, 0, m);
            int count = Math.min(k, m);
            for (int j = 0; j < count; j++) candidates[j] = (int) (0xFFFFFFFFL - (sortKeys[m - 1 - j] & 0xFFFFFFFFL));
            return count;
        }
    }

    private void ensureSortKeys(int n) {
        if (sortKeys.length < n) sortKeys = new long[n];
    }

    private int nucleus(int count, double sum) {
        // After top-k the distribution is renormalised over the k survivors (as vLLM does).
        double base = sum;
        if (p.topK() > 0) {
            base = 0;
            for (int i = 0; i < count; i++) base += probs[candidates[i]];
        }
        double target = p.topP() * base;
        double mass = 0;
        for (int i = 0; i < count; i++) {
            mass += probs[candidates[i]];
            if (mass >= target) return i + 1;
        }
        return count;
    }

    private int applyMinP(int count) {
        float best = 0;
        for (int i = 0; i < count; i++) best = Math.max(best, probs[candidates[i]]);
        float threshold = (float) (p.minP() * best);
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (probs[candidates[i]] >= threshold) candidates[kept++] = candidates[i];
        }
        return kept;
    }
}
