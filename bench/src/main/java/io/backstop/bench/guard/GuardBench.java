package io.backstop.bench.guard;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/** Runs {@link GuardBenchmark} with JMH on one thread (forked JVMs see one CPU) and returns its percentiles. */
public final class GuardBench {
    /** JMH settings: warmup and measurement iterations of {@code millis} each, forks (0 = this JVM). */
    public record Options(int warmups, int iterations, long millis, int forks) {
        public static Options defaults() {
            return new Options(3, 5, 1000, 1);
        }

        public static Options quick() {
            return new Options(2, 3, 500, 1);
        }

        public static Options smoke() {
            return new Options(0, 1, 100, 0);
        }
    }

    /** One benchmark's distribution, in microseconds. */
    public record Row(String name, double meanMicros, double p50Micros, double p99Micros, long samples) {}

    private GuardBench() {}

    public static List<Row> run(Options o) throws RunnerException {
        if (o.forks() == 0) GuardBenchmark.WARM_CALLS = 5; // smoke: in this JVM, measure nothing
        var b = new OptionsBuilder()
                .include("^" + Pattern.quote(GuardBenchmark.class.getName()) + "\\.")
                .mode(Mode.SampleTime)
                .timeUnit(TimeUnit.MICROSECONDS)
                .warmupIterations(o.warmups())
                .warmupTime(TimeValue.milliseconds(o.millis()))
                .measurementIterations(o.iterations())
                .measurementTime(TimeValue.milliseconds(o.millis()))
                .threads(1)
                .forks(o.forks())
                .jvmArgsAppend("-XX:ActiveProcessorCount=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-Dbackstop.guard.warmCalls=" + (o.forks() == 0 ? 5 : 500))
                .shouldFailOnError(true);
        Collection<RunResult> runs = new Runner(b.build(), OutputFormatFactory.createFormatInstance(System.err,
                o.forks() == 0 ? VerboseMode.SILENT : VerboseMode.NORMAL)).run();
        List<Row> rows = new ArrayList<>();
        for (RunResult r : runs) {
            Statistics s = r.getPrimaryResult().getStatistics();
            String name = r.getParams().getBenchmark();
            rows.add(new Row(name.substring(name.lastIndexOf('.') + 1), s.getMean(), s.getPercentile(50), s.getPercentile(99), s.getN()));
        }
        rows.sort(java.util.Comparator.comparing(Row::name));
        return rows;
    }

    /** The Markdown table, plus the output checks' share of a decode step at {@code decodeTokensPerSecond}. */
    public static String table(List<Row> rows, double decodeTokensPerSecond) {
        StringBuilder b = new StringBuilder("| benchmark | mean | p50 | p99 | samples |\n|---|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %.1f µs | %.1f µs | %.1f µs | %d |%n", r.name(), r.meanMicros(), r.p50Micros(), r.p99Micros(), r.samples()));
        }
        rows.stream().filter(r -> r.name().equals("outputCheckPerToken")).findFirst().ifPresent(r -> {
            double tokenMicros = 1e6 / decodeTokensPerSecond;
            b.append(String.format(Locale.ROOT, "%nStreaming output checks: %.1f µs per token (mean) against %.1f ms per decoded token at %.1f tok/s: +%.2f %% of decode time.%n",
                    r.meanMicros(), tokenMicros / 1000, decodeTokensPerSecond, 100 * r.meanMicros() / tokenMicros));
        });
        return b.toString();
    }
}
