package io.backstop.bench.guard;

import io.backstop.bench.Hardware;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop bench guard}: what the guardrails cost per request and per streamed token. */
@Command(name = "guard", mixinStandardHelpOptions = true,
        description = {"Guardrail cost (JMH, one thread): input checks on a 4 KB prompt, output checks per token.",
                "Input: limits, injection, PII, secrets and deny lists together; output: the streaming checks per",
                "token-sized delta, p50/p99, also as a share of the time to decode one token."})
public final class GuardBenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "2 warmup + 3 measured iterations of 0.5 s.")
    boolean quick;

    @Option(names = "--smoke", description = "One 100 ms iteration in this JVM: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--decode-tok-s", paramLabel = "N", defaultValue = "22.8",
            description = "Decode speed to compare the per-token output cost with (default: ${DEFAULT-VALUE}, TinyLlama-1.1B shape in Q4 on the reference machine, bench/results/summary.md).")
    double decodeTokS;

    @Override
    public Integer call() throws Exception {
        if (decodeTokS <= 0) throw new CommandLine.ParameterException(new CommandLine(this), "--decode-tok-s must be positive");
        GuardBench.Options o = smoke ? GuardBench.Options.smoke() : quick ? GuardBench.Options.quick() : GuardBench.Options.defaults();
        List<GuardBench.Row> rows = GuardBench.run(o);
        System.out.println("Hardware: " + Hardware.oneLine());
        System.out.println("JMH sample time, 1 thread" + (o.forks() > 0 ? " (forked JVM with -XX:ActiveProcessorCount=1)" : " (this JVM)")
                + ", " + o.warmups() + " warmup + " + o.iterations() + " × " + o.millis() + " ms");
        System.out.println();
        System.out.print(GuardBench.table(rows, decodeTokS));
        return 0;
    }
}
