package io.backstop.server.http;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.Set;

/**
 * Cross-origin access for browser clients, for the origins in {@code server.cors_origins} ("*" for
 * any). Written here rather than with Javalin's CorsPlugin because that plugin answers a disallowed
 * origin with 400 yet still runs the request, and runs after authentication, which a preflight (sent
 * without the API key) would fail.
 */
final class Cors {
    /** What a browser script may read besides the simple headers. */
    private static final String EXPOSED = "X-Request-Id, X-Backstop-Provider, X-Backstop-Model, X-Backstop-Guardrails, Retry-After";
    private static final String DEFAULT_ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id";

    private final List<String> origins;

    Cors(List<String> origins) {
        this.origins = List.copyOf(origins);
    }

    boolean allows(String origin) {
        return origin != null && !origins.isEmpty() && (origins.contains("*") || origins.contains(origin));
    }

    /** Adds the headers that let an allowed origin read the response. */
    void decorate(HttpServletRequest req, HttpServletResponse res) {
        String origin = req.getHeader("Origin");
        if (!allows(origin)) return;
        res.setHeader("Access-Control-Allow-Origin", origins.contains("*") ? "*" : origin);
        res.addHeader("Vary", "Origin");
        res.setHeader("Access-Control-Expose-Headers", EXPOSED);
    }

    static boolean isPreflight(HttpServletRequest req) {
        return "OPTIONS".equals(req.getMethod()) && req.getHeader("Origin") != null
                && req.getHeader("Access-Control-Request-Method") != null;
    }

    /** Answers a preflight for a path served with {@code methods} (headers only when the origin is allowed). */
    void preflight(HttpServletRequest req, HttpServletResponse res, Set<String> methods) {
        res.setStatus(204);
        res.setHeader("Allow", KnownPaths.allowHeader(methods));
        if (!allows(req.getHeader("Origin"))) return; // the browser then refuses the call
        decorate(req, res);
        res.setHeader("Access-Control-Allow-Methods", KnownPaths.allowHeader(methods));
        String asked = req.getHeader("Access-Control-Request-Headers");
        // SDKs send their own headers (x-stainless-*): allow what is asked, as the key is checked anyway
        res.setHeader("Access-Control-Allow-Headers", asked == null || asked.isBlank() ? DEFAULT_ALLOWED_HEADERS : asked);
        res.setHeader("Access-Control-Max-Age", "600");
    }
}
