package io.backstop.bench.guard;

import io.backstop.server.guard.GuardDecision;
import io.backstop.server.guard.GuardRequest;
import io.backstop.server.guard.Guardrails;
import io.backstop.server.guard.output.OutputChunk;
import io.backstop.server.guard.output.StreamingOutputCheck;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Level;

/**
 * JMH: all input checks on a 4 KB chat prompt, and the streaming output checks per delta (about one token)
 * in steady state. Run through {@link GuardBench#run} (sample time, so percentiles come with it).
 */
@State(Scope.Thread)
public class GuardBenchmark {
    private Guardrails guardrails;
    private GuardRequest request;
    private List<String> deltas;
    private StreamingOutputCheck stream;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        guardrails = GuardWorkload.guardrails();
        request = GuardWorkload.request4k();
        deltas = GuardWorkload.deltas(16 * 1024);
        GuardDecision d = guardrails.checkInput(request);
        if (d.blocked()) throw new IllegalStateException("the benchmark prompt was blocked by " + d.blockingCheck());
        stream = guardrails.output().open(d.vault());
        // JIT-compile the regex engine and detectors before JMH's warmup: an interpreted first call is
        // ~100x slower, and a few hundred of them would otherwise fill the warmup iterations.
        for (int i = 0; i < WARM_CALLS; i++) guardrails.checkInput(request);
        for (int i = 0; i < WARM_CALLS * 50; i++) outputCheckPerToken();
        next = 0;
        stream = guardrails.output().open(d.vault());
    }

    /** Calls of each benchmark made in setup; {@link GuardBench} lowers it for smoke runs. */
    static int WARM_CALLS = Integer.getInteger("backstop.guard.warmCalls", 500);

    @Benchmark
    public GuardDecision inputChecks4k() {
        return guardrails.checkInput(request);
    }

    @Benchmark
    public OutputChunk outputCheckPerToken() {
        if (next == deltas.size()) { // start the next answer: a session checks one answer
            stream.finish();
            stream = guardrails.output().open(null);
            next = 0;
        }
        return stream.accept(deltas.get(next++));
    }
}
