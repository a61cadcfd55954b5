package io.backstop.server.observe.web;

import io.backstop.server.observe.ObserveConfig;
import io.backstop.server.observe.Observability;
import io.backstop.server.openai.ApiException;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /metrics} (Prometheus text), {@code GET /stats} (the dashboard's JSON) and the dashboard and
 * playground at {@code /} (static files from the classpath; no build step). Whether metrics and stats
 * need the API key follows {@code metrics.auth}: by default they are open while the server listens on
 * loopback only, and behind the API key otherwise.
 */
public final class ObserveEndpoints {
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** The dashboard's files: name → content type (nothing else is served). */
    private static final Map<String, String> ASSETS = Map.of("index.html", "text/html; charset=utf-8", "app.js", "text/javascript; charset=utf-8",
            "charts.js", "text/javascript; charset=utf-8", "style.css", "text/css; charset=utf-8");
    private static final String ROOT = "/io/backstop/server/observe/web/";

    private final Observability observability;

    public ObserveEndpoints(Observability observability) {
        this.observability = observability;
    }

    /** Paths that skip the API key: the dashboard's files always, /metrics and /stats as {@code metrics.auth} says. */
    public Set<String> openPaths(String host) {
        Set<String> open = new HashSet<>();
        ObserveConfig c = observability.config();
        if (c.dashboard()) {
            open.add("/");
            ASSETS.keySet().forEach(a -> open.add("/ui/" + a));
        }
        boolean metricsOpen = switch (c.metrics().auth()) {
            case NONE -> true;
            case API_KEY -> false;
            case AUTO -> loopback(host);
        };
        if (metricsOpen) {
            open.add("/metrics");
            open.add("/stats");
        }
        return open;
    }

    static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public void metrics(Context ctx) {
        if (observability.metrics() == null) throw new ApiException(404, "invalid_request_error", null, "not_found", "metrics are off (metrics.enabled: false)", Map.of());
        ctx.contentType(PROMETHEUS_TEXT).result(observability.metrics().scrape());
    }

    public void stats(Context ctx) {
        ctx.json(observability.stats().snapshot(observability.routes(), observability.models(), observability.judgeQueue()));
    }

    public void index(Context ctx) {
        asset(ctx, "index.html");
    }

    public void asset(Context ctx) {
        asset(ctx, ctx.pathParam("file"));
    }

    private static void asset(Context ctx, String name) {
        String type = ASSETS.get(name);
        if (type == null) throw new ApiException(404, "invalid_request_error", null, "not_found", "no such file", Map.of());
        try (InputStream in = ObserveEndpoints.class.getResourceAsStream(ROOT + name)) {
            if (in == null) throw new IllegalStateException("dashboard file missing from the build: " + name);
            ctx.header("Cache-Control", "no-cache");
            ctx.contentType(type).result(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
