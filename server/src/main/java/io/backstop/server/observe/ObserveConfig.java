package io.backstop.server.observe;

import io.backstop.server.observe.cost.PriceTable;
import io.backstop.server.observe.judge.JudgingConfig;

/**
 * How the server observes itself: {@code metrics}, {@code tracing}, the access log (keys under
 * {@code logging}), {@code dashboard}, {@code pricing} and {@code judging}. Parsed by
 * {@link ObserveConfigParser}; every key is documented in the README with its default.
 */
public record ObserveConfig(MetricsOptions metrics, boolean tracing, AccessLogOptions accessLog, boolean dashboard,
                            PriceTable pricing, JudgingConfig judging) {

    /** Who may read {@code /metrics} and {@code /stats}. */
    public enum MetricsAuth {
        /** open when the server listens on loopback only, else the API key (when keys are configured) */
        AUTO,
        /** always open (e.g. a scraper on a private network) */
        NONE,
        /** always the API key */
        API_KEY
    }

    public record MetricsOptions(boolean enabled, MetricsAuth auth) {}

    /**
     * @param target     {@code stdout}, {@code stderr}, {@code off}, or a file path (appended to)
     * @param logContent include prompt and answer text (off by default: they may hold personal data)
     */
    public record AccessLogOptions(String target, boolean logContent) {
        public static final String STDOUT = "stdout";
        public static final String STDERR = "stderr";
        public static final String OFF = "off";

        public boolean enabled() {
            return !OFF.equals(target);
        }
    }

    public static ObserveConfig defaults() {
        return new ObserveConfig(new MetricsOptions(true, MetricsAuth.AUTO), false, new AccessLogOptions(AccessLogOptions.STDOUT, false),
                true, PriceTable.none(), JudgingConfig.none());
    }

    /** Metrics, tracing, access log, judging and dashboard off: what the overhead benchmark compares against. */
    public static ObserveConfig off() {
        return new ObserveConfig(new MetricsOptions(false, MetricsAuth.AUTO), false, new AccessLogOptions(AccessLogOptions.OFF, false),
                false, PriceTable.none(), JudgingConfig.none());
    }

    public ObserveConfig withAccessLog(AccessLogOptions a) {
        return new ObserveConfig(metrics, tracing, a, dashboard, pricing, judging);
    }

    public ObserveConfig withMetrics(MetricsOptions m) {
        return new ObserveConfig(m, tracing, accessLog, dashboard, pricing, judging);
    }

    public ObserveConfig withTracing(boolean on) {
        return new ObserveConfig(metrics, on, accessLog, dashboard, pricing, judging);
    }

    public ObserveConfig withPricing(PriceTable p) {
        return new ObserveConfig(metrics, tracing, accessLog, dashboard, p, judging);
    }

    public ObserveConfig withJudging(JudgingConfig j) {
        return new ObserveConfig(metrics, tracing, accessLog, dashboard, pricing, j);
    }
}
