package io.backstop.server.guard.eval;

import io.backstop.server.guard.injection.InjectionDetector;
import io.backstop.server.guard.normalize.TextNormalizer;
import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.PiiScanner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Measures the detectors on labelled rows: injection rows → precision, recall, F1, false-positive
 * rate at a threshold; PII rows → precision and recall per core type (row level: does the text hold the
 * type?) and micro-averaged; and the latency of the check per text (normalisation included).
 */
public final class GuardEvaluator {
    private final InjectionDetector injection;
    private final PiiScanner pii;
    private final double threshold;
    private final List<Long> nanos = new ArrayList<>();
    private BinaryMetrics injectionMetrics;
    private Map<String, BinaryMetrics> perType;

    public GuardEvaluator(InjectionDetector injection, PiiScanner pii, double threshold) {
        this.injection = injection;
        this.pii = pii;
        this.threshold = threshold;
    }

    public void add(List<GuardRow> rows) {
        if (rows.isEmpty()) return;
        warmUp(rows);
        if (rows.getFirst().isInjectionRow()) injectionRows(rows);
        else piiRows(rows);
    }

    /** One untimed pass over (up to 200) rows first, so latency is measured on compiled code, not class loading. */
    private void warmUp(List<GuardRow> rows) {
        for (GuardRow r : rows.subList(0, Math.min(200, rows.size()))) {
            if (r.isInjectionRow()) injection.score(r.text());
            else pii.scan(r.text());
        }
    }

    private void injectionRows(List<GuardRow> rows) {
        boolean[] pred = new boolean[rows.size()], actual = new boolean[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            long t0 = System.nanoTime();
            double score = injection.score(rows.get(i).text()).score();
            nanos.add(System.nanoTime() - t0);
            pred[i] = score >= threshold;
            actual[i] = rows.get(i).injection();
        }
        BinaryMetrics m = BinaryMetrics.of(pred, actual);
        injectionMetrics = injectionMetrics == null ? m : injectionMetrics.plus(m);
    }

    private void piiRows(List<GuardRow> rows) {
        if (perType == null) {
            perType = new LinkedHashMap<>();
            for (String t : CoreTypes.ALL) perType.put(t, new BinaryMetrics(0, 0, 0, 0));
        }
        for (GuardRow r : rows) {
            long t0 = System.nanoTime();
            List<Finding> found = pii.scan(TextNormalizer.normalize(r.text()));
            nanos.add(System.nanoTime() - t0);
            Set<String> predicted = new HashSet<>();
            for (Finding f : found) predicted.add(f.type());
            for (String t : CoreTypes.ALL) {
                boolean p = predicted.contains(t), a = r.types().contains(t);
                perType.merge(t, BinaryMetrics.of(new boolean[] {p}, new boolean[] {a}), BinaryMetrics::plus);
            }
        }
    }

    /** The report {@code guard eval --json} prints: keys injection, pii (null when no such rows) and latency_ms. */
    public Map<String, Object> report() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (injectionMetrics != null) {
            Map<String, Object> inj = injectionMetrics.toMap();
            inj.put("threshold", threshold);
            out.put("injection", inj);
        } else out.put("injection", null);
        if (perType != null) {
            BinaryMetrics micro = new BinaryMetrics(0, 0, 0, 0);
            Map<String, Object> types = new LinkedHashMap<>();
            for (var e : perType.entrySet()) {
                micro = micro.plus(e.getValue());
                types.put(e.getKey(), e.getValue().toMap());
            }
            Map<String, Object> p = micro.toMap();
            p.put("per_type", types);
            out.put("pii", p);
        } else out.put("pii", null);
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("p50", BinaryMetrics.round(percentile(0.50) / 1e6));
        latency.put("p99", BinaryMetrics.round(percentile(0.99) / 1e6));
        latency.put("texts", nanos.size());
        out.put("latency_ms", latency);
        return out;
    }

    private double percentile(double q) {
        if (nanos.isEmpty()) return 0;
        long[] a = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a[Math.min(a.length - 1, (int) Math.ceil(q * a.length) - 1)];
    }
}
