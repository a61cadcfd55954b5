package io.backstop.bench.step;

import io.backstop.bench.Hardware;
import io.backstop.bench.synthetic.SyntheticGguf;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code backstop bench step}: where the time of one batched decode step goes, per phase, at several batch sizes. */
@Command(name = "step", mixinStandardHelpOptions = true,
        description = {"Time of one continuous-batching decode step of the native engine per phase, at several batch sizes.",
                "Phases: matrix products by tensor, attention, norms, logits; all sequences over the same context."})
public final class StepCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "FILE", description = "A GGUF file (default: the synthetic --shape).")
    Path model;

    @Option(names = "--shape", defaultValue = "tinyllama-1.1b", description = "Synthetic GGUF shape when no --model (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--dtype", defaultValue = "q4_0", description = "Quantization of the synthetic GGUF: f16, q8_0, q4_0, q4_k_m (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--cache", paramLabel = "DIR", description = "Synthetic model cache (default: <backstop>/bench/models).")
    Path cache;

    @Option(names = "--batches", split = ",", defaultValue = "1,2,4,8", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--context", defaultValue = "40", description = "Positions every sequence attends over (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (default: ${DEFAULT-VALUE} = physical cores).")
    int threads;

    @Option(names = "--steps", defaultValue = "30", description = "Steps measured per batch size, after as many to warm up (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--layout", defaultValue = "BATCH", description = "Q4_0 and Q4_K decode copies: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; a model loaded with a concurrency of 1 uses ONE_SEQUENCE).")
    DecodeLayout layout;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || context < 1 || threads < 0 || batches.stream().anyMatch(b -> b < 1 || b > 256)) {
            throw new ParameterException(spec.commandLine(), "--steps and --context must be at least 1, --batches 1 to 256, --threads 0 or more");
        }
        Path gguf = model;
        if (gguf == null) {
            try {
                gguf = SyntheticGguf.ensureNamed(shape, dtype, cache);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        List<StepBench.Row> rows = StepBench.run(gguf, batches, context, threads, steps, steps, layout);
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.printf("Decode step, %s (%s copy), context %d, %d steps per batch size after %d warm-up:%n%n", gguf.getFileName(), layout, context, steps, steps);
        System.out.print(StepBench.table(rows));
        return 0;
    }
}
