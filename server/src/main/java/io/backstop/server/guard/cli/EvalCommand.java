package io.backstop.server.guard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.guard.eval.GuardData;
import io.backstop.server.guard.eval.GuardEvaluator;
import io.backstop.server.guard.eval.GuardRow;
import io.backstop.server.guard.injection.InjectionDetector;
import io.backstop.server.guard.pii.PiiScanner;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop guard eval --data FILE.jsonl [--json]}: the detectors measured on labelled rows. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Measure the detectors on labelled data.",
                "JSON Lines files in the format of ../shared/guardrails/ (text or text_base64, label).",
                "Injection files: precision, recall, F1, false-positive rate.",
                "PII files: precision and recall per core type and micro-averaged. Both: latency per text."})
public final class EvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "A data file; repeat for several (e.g. one injection and one PII file).")
    List<Path> data;

    @Option(names = "--json", description = "Print one JSON object with the keys injection, pii and latency_ms.")
    boolean json;

    @Option(names = "--threshold", paramLabel = "P", description = "Injection score threshold in [0,1] (default: the shipped model's).")
    Double threshold;

    @Option(names = "--model", paramLabel = "FILE", description = "An injection model written by guard train --out (default: the shipped one).")
    Path model;

    @Override
    public Integer call() throws Exception {
        if (threshold != null && (threshold < 0 || threshold > 1)) throw new CommandLine.ParameterException(spec.commandLine(), "--threshold must be between 0 and 1");
        InjectionDetector detector = GuardPaths.detector(model, spec.commandLine());
        GuardEvaluator e = new GuardEvaluator(detector, PiiScanner.all(), threshold != null ? threshold : detector.defaultThreshold());
        for (Path p : data) {
            List<GuardRow> rows;
            try {
                rows = GuardData.read(p);
            } catch (IllegalArgumentException ex) {
                throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
            }
            e.add(rows);
        }
        Map<String, Object> r = e.report();
        if (json) System.out.println(new ObjectMapper().writeValueAsString(r));
        else System.out.print(text(r));
        return 0;
    }

    @SuppressWarnings("unchecked")
    static String text(Map<String, Object> r) {
        StringBuilder b = new StringBuilder();
        if (r.get("injection") instanceof Map<?, ?> m) {
            b.append(String.format(Locale.ROOT, "injection  precision %.4f  recall %.4f  f1 %.4f  false_positive_rate %.4f  (threshold %.2f)%n",
                    m.get("precision"), m.get("recall"), m.get("f1"), m.get("false_positive_rate"), m.get("threshold")));
        }
        if (r.get("pii") instanceof Map<?, ?> m) {
            for (var t : ((Map<String, Map<String, Object>>) m.get("per_type")).entrySet()) {
                b.append(String.format(Locale.ROOT, "pii %-12s precision %.4f  recall %.4f  (tp %s fp %s fn %s)%n", t.getKey(),
                        t.getValue().get("precision"), t.getValue().get("recall"), t.getValue().get("tp"), t.getValue().get("fp"), t.getValue().get("fn")));
            }
            b.append(String.format(Locale.ROOT, "pii micro        precision %.4f  recall %.4f  f1 %.4f%n", m.get("precision"), m.get("recall"), m.get("f1")));
        }
        Map<String, Object> l = (Map<String, Object>) r.get("latency_ms");
        b.append(String.format(Locale.ROOT, "latency per text  p50 %.4f ms  p99 %.4f ms  (%s texts)%n", l.get("p50"), l.get("p99"), l.get("texts")));
        return b.toString();
    }
}
