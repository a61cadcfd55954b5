package io.backstop.bench.grammar;

import io.backstop.bench.Stats;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.automaton.Automaton;
import io.backstop.engine.grammar.automaton.AutomatonCompiler;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.grammar.mask.TokenMasks;
import io.backstop.engine.grammar.mask.VocabIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Constrained-decoding costs: the token mask per step (what the sampler waits for), grammar compile
 * per new schema (median of warm compiles) and vocabulary indexing (once per model), and decode speed
 * with and without a constraint on a model.
 * Masks are measured on simulated generations: each step draws uniformly among the allowed tokens
 * (which keeps documents long and strings noisy, the expensive case) under a token budget.
 */
public final class GrammarBench {
    /** A JSON schema of the kind applications send: nested object, enums, formats, arrays, optional members. */
    public static final String SCHEMA = """
            {"type":"object","properties":{
              "name":{"type":"string"},
              "age":{"type":"integer"},
              "email":{"type":"string","format":"email"},
              "role":{"enum":["admin","editor","viewer"]},
              "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},
                         "required":["street","city"],"additionalProperties":false},
              "tags":{"type":"array","items":{"type":"string"},"maxItems":8},
              "score":{"type":"number"},
              "active":{"type":"boolean"},
              "created":{"type":"string","format":"date-time"}},
             "required":["name","age","role","address","active"],"additionalProperties":false}""";

    public record MaskResult(String vocabulary, int vocabSize, int trieNodes, double indexMillis, double indexCpuMillis,
                             double compileMillis, double compileCpuMillis,
                             int automatonStates, int documents, int steps, double p50Micros, double p99Micros, double maxMicros,
                             double coldP50Micros, double coldP99Micros, int cachedStates, int completeDocuments) {}

    public record DecodeResult(String model, int runs, double freeTokensPerSecond, double constrainedTokensPerSecond, double ratio,
                               double constrainedTokensPerRun) {}

    private GrammarBench() {}

    public static MaskResult masks(String name, Vocabulary vocab, String schema, int warmupDocs, int docs, int budget, long seed) {
        // CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = cpu.getCurrentThreadCpuTime(), t0 = System.nanoTime();
        VocabIndex index = VocabIndex.of(vocab);
        long c1 = cpu.getCurrentThreadCpuTime(), t1 = System.nanoTime();
        Automaton a = null;
        List<Double> compiles = new ArrayList<>(), compilesCpu = new ArrayList<>();
        for (int i = 0; i < 7; i++) { // a new schema text each time (a space more), as a server sees new schemas
            long s = System.nanoTime(), sc = cpu.getCurrentThreadCpuTime();
            a = AutomatonCompiler.compile(ConstraintSpec.jsonSchema(schema + " ".repeat(i)).toGrammar());
            if (i >= 2) {
                compiles.add((System.nanoTime() - s) / 1e6);
                compilesCpu.add((cpu.getCurrentThreadCpuTime() - sc) / 1e6);
            }
        }
        TokenMasks masks = new TokenMasks(a, index);
        int eos = -1;
        for (int t = vocab.size() - 1; t >= 0 && eos < 0; t--) if (vocab.isSpecial(t)) eos = t;
        int[] end = eos >= 0 ? new int[] {eos} : new int[0];
        SplittableRandom random = new SplittableRandom(seed);
        List<Double> cold = new ArrayList<>(), warm = new ArrayList<>();
        int complete = 0;
        for (int d = 0; d < warmupDocs + docs; d++) {
            boolean ok = simulate(masks.newMatcher(end), eos, vocab.size(), budget, random, d == 0 ? cold : d < warmupDocs ? null : warm);
            if (d >= warmupDocs && ok) complete++;
        }
        return new MaskResult(name, vocab.size(), index.nodes(), (t1 - t0) / 1e6, (c1 - c0) / 1e6, Stats.median(compiles),
                Stats.median(compilesCpu), a.states(), docs, warm.size(),
                Stats.percentile(warm, 50), Stats.percentile(warm, 99), Stats.percentile(warm, 100),
                Stats.percentile(cold, 50), Stats.percentile(cold, 99), masks.cachedStates(), complete);
    }

    /** One generation of random allowed tokens; records mask times (µs) into {@code into} when given. Returns whether it completed. */
    private static boolean simulate(GrammarMatcher m, int eos, int vocabSize, int budget, SplittableRandom random, List<Double> into) {
        long[] mask = new long[(vocabSize + 63) >>> 6];
        for (int step = 0; step < budget; step++) {
            if (m.isDone()) return true;
            long s = System.nanoTime();
            int allowed = m.fillMask(mask);
            long e = System.nanoTime();
            if (into != null) into.add((e - s) / 1e3);
            int token = nth(mask, random.nextInt(allowed));
            int after = budget - step - 1;
            if (!m.fits(token, after)) {
                int within = m.fillMaskWithin(mask, after);
                if (within == 0) return false;
                token = nth(mask, random.nextInt(within));
            }
            if (token == eos) return true; // allowed only once the document is complete
            m.accept(token);
        }
        return m.isComplete();
    }

    private static int nth(long[] mask, int n) {
        for (int w = 0; w < mask.length; w++) {
            int c = Long.bitCount(mask[w]);
            if (n < c) {
                long word = mask[w];
                for (int i = 0; i < n; i++) word &= word - 1;
                return (w << 6) + Long.numberOfTrailingZeros(word);
            }
            n -= c;
        }
        throw new IllegalStateException("mask has fewer bits than counted");
    }

    /** Decode tok/s with and without a JSON-schema constraint, the same seeds on both sides. */
    public static DecodeResult decode(Model model, String schema, int maxTokens, int warmups, int runs) {
        List<Double> free = new ArrayList<>(), constrained = new ArrayList<>();
        double tokens = 0;
        for (int i = 0; i < warmups + runs; i++) {
            GenerationRequest.Builder base = GenerationRequest.text("Describe a user as JSON:").temperature(1.0).seed((long) i).maxTokens(maxTokens);
            GenerationResult f = model.generate(base.build());
            GenerationResult c = model.generate(base.constraint(ConstraintSpec.jsonSchema(schema)).build());
            if (i < warmups) continue;
            free.add(f.timings().decodeTokensPerSecond());
            constrained.add(c.timings().decodeTokensPerSecond());
            tokens += c.tokenIds().length;
        }
        double fm = Stats.median(free), cm = Stats.median(constrained);
        return new DecodeResult(model.info().name(), runs, fm, cm, cm / fm, tokens / runs);
    }
}
