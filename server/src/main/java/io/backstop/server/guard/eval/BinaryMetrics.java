package io.backstop.server.guard.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/** Counts of a yes/no detector against labels, and the usual rates (0 where undefined). */
public record BinaryMetrics(int tp, int fp, int fn, int tn) {
    public static BinaryMetrics of(boolean[] predicted, boolean[] actual) {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (actual[i]) {
                if (predicted[i]) tp++;
                else fn++;
            } else if (predicted[i]) fp++;
            else tn++;
        }
        return new BinaryMetrics(tp, fp, fn, tn);
    }

    public BinaryMetrics plus(BinaryMetrics o) {
        return new BinaryMetrics(tp + o.tp, fp + o.fp, fn + o.fn, tn + o.tn);
    }

    public double precision() {
        return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
    }

    public double recall() {
        return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
    }

    public double f1() {
        return 2.0 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    public double falsePositiveRate() {
        return fp + tn == 0 ? 0 : (double) fp / (fp + tn);
    }

    /** The numbers as {@code guard eval --json} prints them (rates rounded to 4 places). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("precision", round(precision()));
        m.put("recall", round(recall()));
        m.put("f1", round(f1()));
        m.put("false_positive_rate", round(falsePositiveRate()));
        m.put("tp", tp);
        m.put("fp", fp);
        m.put("fn", fn);
        m.put("tn", tn);
        return m;
    }

    static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
