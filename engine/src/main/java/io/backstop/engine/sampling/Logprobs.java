package io.backstop.engine.sampling;

import io.backstop.engine.TokenLogprob;
import java.util.ArrayList;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/** Log-probabilities from the model's raw logits (before penalties and temperature), as OpenAI reports them. */
public final class Logprobs {
    private Logprobs() {}

    public static TokenLogprob of(float[] rawLogits, int chosen, int topN, IntFunction<byte[]> bytes) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : rawLogits) max = Math.max(max, l);
        double sum = 0;
        for (float l : rawLogits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        List<TokenLogprob.Alternative> top = new ArrayList<>(topN);
        if (topN > 0) {
            int[] best = topIndices(rawLogits, topN);
            for (int id : best) top.add(new TokenLogprob.Alternative(id, text(bytes.apply(id)), bytes.apply(id), rawLogits[id] - logZ));
        }
        return new TokenLogprob(chosen, text(bytes.apply(chosen)), bytes.apply(chosen), rawLogits[chosen] - logZ, top);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The n highest logits, best first (insertion into a small sorted array: n ≤ 20). */
    static int[] topIndices(float[] logits, int n) {
        n = Math.min(n, logits.length);
        int[] idx = new int[n];
        float[] val = new float[n];
        int size = 0;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (size == n && v <= val[n - 1]) continue;
            int pos = size < n ? size++ : n - 1;
            while (pos > 0 && val[pos - 1] < v) {
                val[pos] = val[pos - 1];
                idx[pos] = idx[pos - 1];
                pos--;
            }
            val[pos] = v;
            idx[pos] = i;
        }
        return idx;
    }
}
