package io.backstop.server.observe.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The summary of a run (pass rate, latency p50/p95, tokens, cost) and its text, Markdown and JSON forms. */
public record EvalReport(String route, String judge, List<EvalRunner.CaseResult> cases) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public long passed() {
        return cases.stream().filter(EvalRunner.CaseResult::pass).count();
    }

    public double passRate() {
        return cases.isEmpty() ? 0 : (double) passed() / cases.size();
    }

    /** Nearest-rank percentile of the answered cases' latencies (NaN when none answered). */
    public double latencyMs(double p) {
        double[] l = cases.stream().filter(c -> c.answer() != null).mapToDouble(c -> c.answer().latencyMs()).sorted().toArray();
        if (l.length == 0) return Double.NaN;
        return l[Math.clamp((int) Math.ceil(p / 100 * l.length) - 1, 0, l.length - 1)];
    }

    public long tokensIn() {
        return cases.stream().filter(c -> c.answer() != null && c.answer().tokensIn() != null).mapToLong(c -> c.answer().tokensIn()).sum();
    }

    public long tokensOut() {
        return cases.stream().filter(c -> c.answer() != null && c.answer().tokensOut() != null).mapToLong(c -> c.answer().tokensOut()).sum();
    }

    /** Total cost of the answers that reported one (null when none did). */
    public Double costUsd() {
        double[] c = cases.stream().filter(x -> x.answer() != null && x.answer().costUsd() != null).mapToDouble(x -> x.answer().costUsd()).toArray();
        return c.length == 0 ? null : Arrays.stream(c).sum();
    }

    /** What the terminal shows: a line per case (and per failed check), then the summary. */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (EvalRunner.CaseResult c : cases) {
            b.append(c.pass() ? "PASS " : "FAIL ").append(c.id());
            if (c.answer() != null) b.append(String.format(Locale.ROOT, "  (%.0f ms)", c.answer().latencyMs()));
            b.append('\n');
            if (c.error() != null) b.append("     error: ").append(c.error()).append('\n');
            for (EvalRunner.CheckResult r : c.checks()) {
                if (!r.pass()) b.append("     ✗ ").append(r.check()).append(": ").append(r.detail()).append('\n');
            }
        }
        b.append(summaryLine()).append('\n');
        return b.toString();
    }

    String summaryLine() {
        Double cost = costUsd();
        return String.format(Locale.ROOT, "%d/%d passed (%.1f%%)  latency p50 %.0f ms  p95 %.0f ms  tokens %d in / %d out  cost %s",
                passed(), cases.size(), 100 * passRate(), latencyMs(50), latencyMs(95), tokensIn(), tokensOut(),
                cost == null ? "unknown" : String.format(Locale.ROOT, "$%.6f", cost));
    }

    public String markdown() {
        StringBuilder b = new StringBuilder("# Evaluation of route `" + route + "`\n\n");
        if (judge != null) b.append("Judge: `").append(judge).append("`\n\n");
        b.append(summaryLine()).append("\n\n| case | result | latency ms | tokens out | cost USD | failed checks |\n|---|---|---|---|---|---|\n");
        for (EvalRunner.CaseResult c : cases) {
            var a = c.answer();
            String failed = c.error() != null ? c.error() : String.join("; ", c.checks().stream().filter(r -> !r.pass()).map(r -> r.check() + ": " + r.detail()).toList());
            b.append("| ").append(c.id()).append(" | ").append(c.pass() ? "pass" : "**fail**").append(" | ")
                    .append(a == null ? "" : String.format(Locale.ROOT, "%.0f", a.latencyMs())).append(" | ")
                    .append(a == null || a.tokensOut() == null ? "" : a.tokensOut()).append(" | ")
                    .append(a == null || a.costUsd() == null ? "" : a.costUsd()).append(" | ")
                    .append(failed.replace("|", "\\|").replace("\n", " ")).append(" |\n");
        }
        return b.toString();
    }

    public ObjectNode json() {
        ObjectNode n = JSON.createObjectNode();
        n.put("route", route);
        n.put("judge", judge);
        ObjectNode s = n.putObject("summary");
        s.put("cases", cases.size());
        s.put("passed", passed());
        s.put("pass_rate", passRate());
        if (!Double.isNaN(latencyMs(50))) s.put("latency_ms_p50", latencyMs(50)).put("latency_ms_p95", latencyMs(95));
        s.put("tokens_in", tokensIn());
        s.put("tokens_out", tokensOut());
        if (costUsd() != null) s.put("cost_usd", costUsd());
        var arr = n.putArray("cases");
        for (EvalRunner.CaseResult c : cases) {
            ObjectNode e = arr.addObject().put("id", c.id()).put("pass", c.pass());
            if (c.error() != null) e.put("error", c.error());
            var a = c.answer();
            if (a != null) {
                e.put("answer", a.text()).put("latency_ms", a.latencyMs()).put("target", a.target());
                if (a.tokensIn() != null) e.put("tokens_in", a.tokensIn());
                if (a.tokensOut() != null) e.put("tokens_out", a.tokensOut());
                if (a.costUsd() != null) e.put("cost_usd", a.costUsd());
            }
            var checks = e.putArray("checks");
            for (EvalRunner.CheckResult r : c.checks()) checks.addObject().put("check", r.check()).put("pass", r.pass()).put("detail", r.detail());
        }
        return n;
    }
}
