package io.backstop.bench.vsllama;

import java.util.List;
import java.util.Locale;

/** The Markdown table of {@code bench vs-llama}: min / median / max of each side, the ratio and the share of the ceiling. */
final class VsLlamaReport {
    private VsLlamaReport() {}

    static String table(List<VsLlamaRow> rows) {
        StringBuilder sb = new StringBuilder("| shape | type | threads | test | Backstop tok/s min / median / max | llama.cpp tok/s min / median / max"
                + " | ratio | weights/token MB | ceiling tok/s | Backstop of ceiling | llama.cpp of ceiling |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (VsLlamaRow r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %.1f | %s | %s | %s |%n", r.shape(), r.dtype().toUpperCase(Locale.ROOT),
                    r.threads(), r.test(), spread(r.ours()), spread(r.llama()), Double.isNaN(r.ratio()) ? "–" : String.format(Locale.ROOT, "%.2f×", r.ratio()),
                    r.weightGB() * 1000, num(r.ceiling()), share(r.oursMedian(), r.ceiling()), share(r.llamaMedian(), r.ceiling())));
        }
        return sb.toString();
    }

    private static String spread(List<Double> v) {
        if (v.isEmpty()) return "–";
        return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", VsLlamaRow.min(v), io.backstop.bench.Stats.median(v), VsLlamaRow.max(v));
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String share(double v, double ceiling) {
        return Double.isNaN(v) || Double.isNaN(ceiling) ? "–" : String.format(Locale.ROOT, "%.0f %%", 100 * v / ceiling);
    }
}
