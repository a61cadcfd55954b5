package io.backstop.bench.vsllama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.memory.BandwidthProbe;
import io.backstop.bench.model.ModelBenchCommand;
import io.backstop.bench.model.ModelRow;
import io.backstop.bench.model.WeightBytes;
import io.backstop.bench.peer.LlamaBench;
import io.backstop.bench.peer.LlamaBenchException;
import io.backstop.bench.peer.PeerResult;
import io.backstop.bench.suite.ChildJvm;
import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticGguf;
import io.backstop.engine.backend.gguf.quant.QuantMix;
import io.backstop.engine.hub.ConsoleProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code backstop bench vs-llama}: the native engine and llama.cpp's {@code llama-bench} on the very same
 * synthetic GGUF files, interleaved repetition by repetition (ours, theirs, ours, theirs …) so a drifting
 * machine treats both alike; each of our repetitions in a fresh JVM (as llama-bench is a fresh process),
 * each warmed up by one untimed run of every test as llama-bench does.
 */
@Command(name = "vs-llama", mixinStandardHelpOptions = true,
        description = {"The native GGUF engine beside llama.cpp's llama-bench on the same synthetic GGUF files.",
                "pp/tg tok/s min/median/max over interleaved repetitions, ratio, read-bandwidth ceiling and the share of it each reaches."})
public final class VsLlamaCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--llama-bench", paramLabel = "PATH", description = "llama.cpp's llama-bench binary (without it only our side is measured).")
    Path llamaBench;

    @Option(names = "--shape", split = ",", defaultValue = "tinyllama-1.1b",
            description = "Synthetic shapes: tinyllama-1.1b, llama-3.2-1b, qwen2.5-0.5b (default: ${DEFAULT-VALUE}).")
    List<String> shapes;

    @Option(names = "--dtype", split = ",", defaultValue = "q4_0,q8_0,q4_k_m,f16", description = "GGUF mixes: f16, q8_0, q4_0, q4_k_m (default: ${DEFAULT-VALUE}).")
    List<String> dtypes;

    @Option(names = "--threads", split = ",", defaultValue = "1,2", description = "Thread counts (default: ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = "--pp", split = ",", defaultValue = "64,512", description = "Prompt lengths (default: ${DEFAULT-VALUE}).")
    List<Integer> pp;

    @Option(names = "--tg", defaultValue = "128", description = "Generation length (default: ${DEFAULT-VALUE}).")
    int tg;

    @Option(names = "--reps", defaultValue = "3", description = "Interleaved repetitions per side (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--timeout-min", defaultValue = "30", description = "Longest one llama-bench run may take, in minutes (default: ${DEFAULT-VALUE}).")
    int timeoutMinutes;

    @Option(names = "--bandwidth-mb", defaultValue = "1024", description = "Array size of the bandwidth probe (default: ${DEFAULT-VALUE}).")
    int bandwidthMb;

    @Option(names = "--cache", paramLabel = "DIR", description = "Synthetic model cache (default: <backstop>/bench/models).")
    Path cache;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder for vs-llama.md/json (default: <backstop>/bench/results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("backstop.home", "."));
        List<Shape> ss = new ArrayList<>();
        for (String name : shapes) {
            Shape s = Shape.NAMED.get(name);
            if (s == null) throw usage("--shape: unknown shape '" + name + "'; known: " + String.join(", ", Shape.NAMED.keySet()));
            ss.add(s);
        }
        List<QuantMix> mixes = new ArrayList<>();
        for (String d : dtypes) {
            QuantMix m = SyntheticGguf.mix(d);
            if (m == null) throw usage("--dtype: unknown GGUF mix '" + d + "'; use f16, q8_0, q4_0, q4_k_m");
            mixes.add(m);
        }
        if (threads.stream().anyMatch(t -> t < 1) || reps < 1 || timeoutMinutes < 1 || tg < 0 || pp.stream().anyMatch(p -> p < 1)) {
            throw usage("--threads, --reps, --pp and --timeout-min must be at least 1, --tg at least 0");
        }
        if (llamaBench != null) LlamaBench.checkBinary(llamaBench);

        Map<Integer, BandwidthProbe.Result> bandwidth = new LinkedHashMap<>();
        for (int t : threads) {
            BandwidthProbe.Result bw = BandwidthProbe.measure(t, bandwidthMb, 3);
            bandwidth.put(t, bw);
            System.err.printf(Locale.ROOT, "bench: read bandwidth %.1f GB/s, triad %.1f GB/s (%d threads)%n", bw.readGBps(), bw.triadGBps(), t);
        }
        List<VsLlamaRow> rows = new ArrayList<>();
        String llamaBuild = "";
        for (Shape s : ss) {
            for (QuantMix mix : mixes) {
                Path file = SyntheticGguf.ensure(s, mix, cache != null ? cache : home.resolve("bench/models"), ConsoleProgress.toStderr());
                double weightGB = WeightBytes.perToken(file) / 1e9;
                for (int t : threads) {
                    Map<String, List<Double>> ours = new LinkedHashMap<>(), theirs = new LinkedHashMap<>();
                    for (int r = 0; r < reps; r++) {
                        // the best of the probes: on a shared machine one probe can land in someone else's burst
                        BandwidthProbe.Result bw = BandwidthProbe.measure(t, bandwidthMb, 1);
                        if (bw.readGBps() > bandwidth.get(t).readGBps()) bandwidth.put(t, bw);
                        ours(file, t).forEach((test, v) -> ours.computeIfAbsent(test, k -> new ArrayList<>()).add(v));
                        if (llamaBench != null) {
                            for (int i = 0; i < pp.size(); i++) {
                                try {
                                    LlamaBench.Report rep = LlamaBench.runReport(llamaBench, file, t, pp.get(i), i == 0 ? tg : 0, 1, Duration.ofMinutes(timeoutMinutes));
                                    llamaBuild = rep.describe();
                                    for (PeerResult p : rep.results()) theirs.computeIfAbsent(p.test(), k -> new ArrayList<>()).addAll(p.samples());
                                } catch (LlamaBenchException e) { // one failed run costs its samples, not the whole benchmark
                                    System.err.println("bench: llama-bench pp" + pp.get(i) + " on " + file.getFileName() + ", " + t + " threads: " + e.getMessage());
                                }
                            }
                        }
                    }
                    double read = bandwidth.get(t).readGBps();
                    for (var e : ours.entrySet()) {
                        double ceiling = e.getKey().startsWith("tg") ? read / weightGB : Double.NaN;
                        VsLlamaRow row = new VsLlamaRow(s.name(), mix.name().toLowerCase(Locale.ROOT), t, e.getKey(), e.getValue(),
                                theirs.getOrDefault(e.getKey(), List.of()), weightGB, read, ceiling);
                        rows.add(row);
                        System.err.printf(Locale.ROOT, "bench: %s %s %d threads %s: Backstop %.1f, llama.cpp %.1f tok/s%n", s.name(), mix, t, e.getKey(),
                                row.oursMedian(), row.llamaMedian());
                    }
                }
            }
        }
        String table = VsLlamaReport.table(rows);
        String setup = "Hardware: " + Hardware.oneLine() + "\nJVM flags: " + Hardware.jvmFlags()
                + "\nRead bandwidth: " + bandwidth.values().stream().map(b -> String.format(Locale.ROOT, "%.1f GB/s at %d threads", b.readGBps(), b.threads()))
                .collect(Collectors.joining(", "))
                + "\nPeer: " + (llamaBench == null ? "none (no --llama-bench)" : llamaBuild + " (" + llamaBench + ")")
                + "\nLoad average at the end: " + loadAverage() + "\n";
        System.out.println(setup);
        System.out.print(table);
        Path dir = out != null ? out : home.resolve("bench/results");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("vs-llama.md"), "# Native engine vs llama.cpp, same GGUF files (" + Instant.now() + ")\n\n"
                + setup.replace("\n", "  \n") + "\nCommand: `scripts/backstop bench " + String.join(" ", spec.commandLine().getParseResult().originalArgs())
                + "`\n\n" + table);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("hardware", Hardware.describe());
        json.put("bandwidth", bandwidth.values());
        json.put("peer", llamaBuild);
        json.put("load_average", loadAverage());
        json.put("rows", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("vs-llama.json").toFile(), json);
        System.err.println("bench: wrote " + dir.resolve("vs-llama.md") + " and .json");
        return 0;
    }

    /** One repetition of every test on the native engine, in a fresh JVM: tok/s by test name. */
    private Map<String, Double> ours(Path file, int t) throws Exception {
        Path json = Files.createTempFile("backstop-vs-llama", ".json");
        try {
            List<String> args = new ArrayList<>(List.of("model", "--model", file.toString(), "--threads", Integer.toString(t),
                    "--pp", pp.stream().map(String::valueOf).collect(Collectors.joining(",")), "--reps", "1", "--bandwidth-mb", "16", "--emit-json", json.toString()));
            args.addAll(List.of("--tg", tg > 0 ? Integer.toString(tg) : "1"));
            ChildJvm.run(args);
            Map<String, Double> byTest = new LinkedHashMap<>();
            for (ModelRow row : new ObjectMapper().readValue(json.toFile(), ModelBenchCommand.Emitted.class).rows()) {
                if (tg > 0 || !row.test().startsWith("tg")) byTest.put(row.test(), row.median());
            }
            return byTest;
        } finally {
            Files.deleteIfExists(json);
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
