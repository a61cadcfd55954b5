package io.backstop.server.guard.cli;

import io.backstop.server.guard.eval.OrdinaryText;
import io.backstop.server.guard.injection.InjectionDetector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop guard fp-check}: how often the injection detector flags ordinary text that is in no data set. */
@Command(name = "fp-check", mixinStandardHelpOptions = true,
        description = {"Injection false positives on ordinary text.",
                "The injection detector on text in no data set, found on this machine: README",
                "paragraphs under --docs, Java source chunks from the JDK's lib/src.zip (java.base, which training never",
                "sees), ordinary chat turns shipped for this check, and this checkout's README.md.",
                "Nothing is stored; the corpus is rebuilt the same way each run."})
public final class FpCheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--docs", paramLabel = "DIR", defaultValue = "/usr/share/doc", description = "Documentation folder with README files (default: ${DEFAULT-VALUE}).")
    Path docs;

    @Option(names = "--src-zip", paramLabel = "FILE", description = "A JDK's lib/src.zip (default: the running JDK's).")
    Path srcZip;

    @Option(names = "--max", paramLabel = "N", defaultValue = "1500", description = "At most N chunks per source (default: ${DEFAULT-VALUE}).")
    int max;

    @Option(names = "--threshold", paramLabel = "P", description = "Score threshold (default: the shipped model's).")
    Double threshold;

    @Option(names = "--show", description = "Print where each flagged chunk came from (no text).")
    boolean show;

    @Option(names = "--model", paramLabel = "FILE", description = "An injection model written by guard train --out (default: the shipped one).")
    Path model;

    @Override
    public Integer call() throws Exception {
        InjectionDetector d = GuardPaths.detector(model, spec.commandLine());
        double th = threshold != null ? threshold : d.defaultThreshold();
        Path zip = srcZip != null ? srcZip : Path.of(System.getProperty("java.home"), "lib", "src.zip");
        Map<String, List<OrdinaryText.Chunk>> sources = new LinkedHashMap<>();
        sources.put("readme-paragraphs", OrdinaryText.readmes(docs, max));
        sources.put("java-sources", OrdinaryText.javaSources(zip, "java.base/java/", max));
        sources.put("chat-turns", OrdinaryText.chatTurns());
        sources.put("backstop-readme", OrdinaryText.markdown(GuardPaths.home().resolve("README.md")));
        int total = 0, flagged = 0;
        List<String> lines = new ArrayList<>();
        for (var e : sources.entrySet()) {
            int f = 0;
            for (OrdinaryText.Chunk c : e.getValue()) {
                if (d.score(c.text()).score() >= th) {
                    f++;
                    if (show) System.err.println("flagged: " + c.source());
                }
            }
            total += e.getValue().size();
            flagged += f;
            lines.add(String.format(Locale.ROOT, "%-18s %5d chunks  %4d flagged  false_positive_rate %.4f", e.getKey(), e.getValue().size(), f,
                    e.getValue().isEmpty() ? 0.0 : (double) f / e.getValue().size()));
        }
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "%-18s %5d chunks  %4d flagged  false_positive_rate %.4f  (threshold %.2f)%n", "all", total, flagged,
                total == 0 ? 0.0 : (double) flagged / total, th);
        return 0;
    }
}
