package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.config.ConfigException;
import io.backstop.server.observe.ObserveConfig.AccessLogOptions;
import io.backstop.server.observe.ObserveConfig.MetricsAuth;
import io.backstop.server.observe.ObserveConfig.MetricsOptions;
import io.backstop.server.observe.cost.PriceTable;
import io.backstop.server.observe.judge.JudgingConfig;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the observability sections of the configuration as strictly as the rest of it: an unknown key,
 * a wrong type or a bad value fails start-up with one message naming the key.
 */
public final class ObserveConfigParser {
    /** Top-level sections this parser owns (besides {@code logging.access_log} and {@code logging.log_content}). */
    public static final Set<String> SECTIONS = Set.of("metrics", "tracing", "dashboard", "pricing", "judging");
    /** Keys of {@code logging} this parser owns. */
    public static final Set<String> LOGGING_KEYS = Set.of("access_log", "log_content");
    private static final Set<String> METRICS = Set.of("enabled", "auth");
    private static final Set<String> ENABLED = Set.of("enabled");
    private static final Set<String> PRICING = Set.of("local_cpu_hour_usd", "models");
    private static final Set<String> PRICE = Set.of("input_per_million", "output_per_million", "cached_input_per_million");
    private static final Set<String> JUDGING = Set.of("queue_size", "workers", "routes");
    private static final Set<String> JUDGE = Set.of("judge", "sample_rate", "rubric", "max_tokens");

    private ObserveConfigParser() {}

    /**
     * @param root      the whole configuration document
     * @param targets   every {@code provider:model} some route names (a price for anything else is a typo)
     * @param answerers routes and local models (what may judge or be judged)
     */
    public static ObserveConfig parse(JsonNode root, Set<String> targets, Set<String> answerers) {
        JsonNode logging = root.path("logging");
        JsonNode al = logging.path("access_log");
        // YAML reads a bare off/no as false (and on/yes as true)
        String accessLog = al.isBoolean() ? (al.asBoolean() ? AccessLogOptions.STDOUT : AccessLogOptions.OFF)
                : text(logging, "access_log", "logging.access_log", AccessLogOptions.STDOUT);
        if (accessLog.isBlank()) throw new ConfigException("logging.access_log must be stdout, stderr, off or a file path");
        AccessLogOptions access = new AccessLogOptions(accessLog, bool(logging, "log_content", "logging.log_content", false));

        JsonNode m = section(root, "metrics", METRICS);
        String auth = text(m, "auth", "metrics.auth", "auto");
        MetricsAuth metricsAuth = switch (auth.toLowerCase(Locale.ROOT)) {
            case "auto" -> MetricsAuth.AUTO;
            case "none" -> MetricsAuth.NONE;
            case "api_key" -> MetricsAuth.API_KEY;
            default -> throw new ConfigException("metrics.auth must be auto, none or api_key, got '" + auth + "'");
        };
        MetricsOptions metrics = new MetricsOptions(bool(m, "enabled", "metrics.enabled", true), metricsAuth);
        boolean tracing = bool(section(root, "tracing", ENABLED), "enabled", "tracing.enabled", false);
        boolean dashboard = bool(section(root, "dashboard", ENABLED), "enabled", "dashboard.enabled", true);
        return new ObserveConfig(metrics, tracing, access, dashboard, pricing(section(root, "pricing", PRICING), targets),
                judging(section(root, "judging", JUDGING), answerers));
    }

    private static PriceTable pricing(JsonNode p, Set<String> targets) {
        double cpuHour = number(p, "local_cpu_hour_usd", "pricing.local_cpu_hour_usd", 0, 0, 1e6);
        Map<String, PriceTable.Price> models = new LinkedHashMap<>();
        JsonNode ms = p.path("models");
        if (!ms.isMissingNode() && !ms.isNull()) {
            if (!ms.isObject()) throw new ConfigException("pricing.models must be a mapping of provider:model to prices");
            for (Iterator<Map.Entry<String, JsonNode>> it = ms.fields(); it.hasNext(); ) {
                var e = it.next();
                String key = "pricing.models." + e.getKey();
                if (!targets.contains(e.getKey())) {
                    throw new ConfigException(key + ": no route has the target '" + e.getKey() + "' (targets: " + String.join(", ", new TreeSet<>(targets)) + ")");
                }
                JsonNode n = e.getValue();
                if (!n.isObject()) throw new ConfigException(key + " must be a mapping with input_per_million and output_per_million");
                known(n, PRICE, key + ".");
                if (!n.has("input_per_million") || !n.has("output_per_million")) {
                    throw new ConfigException(key + " needs input_per_million and output_per_million (USD per million tokens)");
                }
                Double cached = n.has("cached_input_per_million") ? number(n, "cached_input_per_million", key + ".cached_input_per_million", 0, 0, 1e6) : null;
                models.put(e.getKey(), new PriceTable.Price(number(n, "input_per_million", key + ".input_per_million", 0, 0, 1e6),
                        number(n, "output_per_million", key + ".output_per_million", 0, 0, 1e6), cached));
            }
        }
        return new PriceTable(models, cpuHour);
    }

    private static JudgingConfig judging(JsonNode j, Set<String> answerers) {
        int queue = integer(j, "queue_size", "judging.queue_size", JudgingConfig.DEFAULT_QUEUE_SIZE, 1, 100_000);
        int workers = integer(j, "workers", "judging.workers", JudgingConfig.DEFAULT_WORKERS, 1, 64);
        Map<String, JudgingConfig.RouteJudge> routes = new LinkedHashMap<>();
        JsonNode rs = j.path("routes");
        if (!rs.isMissingNode() && !rs.isNull()) {
            if (!rs.isObject()) throw new ConfigException("judging.routes must be a mapping of route name to its judge");
            for (Iterator<Map.Entry<String, JsonNode>> it = rs.fields(); it.hasNext(); ) {
                var e = it.next();
                String key = "judging.routes." + e.getKey();
                String known = " (routes and models: " + String.join(", ", new TreeSet<>(answerers)) + ")";
                if (!answerers.contains(e.getKey())) throw new ConfigException(key + ": no route or model is named '" + e.getKey() + "'" + known);
                JsonNode n = e.getValue();
                if (!n.isObject()) throw new ConfigException(key + " must be a mapping with judge, sample_rate and rubric");
                known(n, JUDGE, key + ".");
                String judge = text(n, "judge", key + ".judge", null);
                if (judge == null) throw new ConfigException(key + ".judge is required (a route or local model)");
                if (!answerers.contains(judge)) throw new ConfigException(key + ".judge: no route or model is named '" + judge + "'" + known);
                String rubric = text(n, "rubric", key + ".rubric", null);
                if (rubric == null || rubric.isBlank()) throw new ConfigException(key + ".rubric is required (what the judge scores against)");
                routes.put(e.getKey(), new JudgingConfig.RouteJudge(judge, number(n, "sample_rate", key + ".sample_rate", 0.1, 0, 1), rubric,
                        integer(n, "max_tokens", key + ".max_tokens", JudgingConfig.RouteJudge.DEFAULT_MAX_TOKENS, 16, 4096)));
            }
        }
        return new JudgingConfig(queue, workers, routes);
    }

    private static JsonNode section(JsonNode root, String name, Set<String> keys) {
        JsonNode n = root.path(name);
        if (n.isMissingNode() || n.isNull()) return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        if (!n.isObject()) throw new ConfigException(name + " must be a mapping");
        known(n, keys, name + ".");
        return n;
    }

    private static void known(JsonNode n, Set<String> keys, String prefix) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) throw new ConfigException("unknown key '" + prefix + k + "' (known: " + String.join(", ", new TreeSet<>(keys)) + ")");
        }
    }

    private static String text(JsonNode n, String field, String key, String fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isTextual()) throw new ConfigException(key + " must be a string");
        return v.asText();
    }

    private static boolean bool(JsonNode n, String field, String key, boolean fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isBoolean()) throw new ConfigException(key + " must be true or false");
        return v.asBoolean();
    }

    private static int integer(JsonNode n, String field, String key, int fallback, int min, int max) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isIntegralNumber()) throw new ConfigException(key + " must be a whole number, got " + v);
        long l = v.asLong();
        if (l < min || l > max) throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + l);
        return (int) l;
    }

    private static double number(JsonNode n, String field, String key, double fallback, double min, double max) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isNumber()) throw new ConfigException(key + " must be a number, got " + v);
        double d = v.asDouble();
        if (!(d >= min && d <= max)) throw new ConfigException(key + " must be between " + plain(min) + " and " + plain(max) + ", got " + v);
        return d;
    }

    private static String plain(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
