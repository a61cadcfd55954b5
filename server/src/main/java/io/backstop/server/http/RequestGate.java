package io.backstop.server.http;

import io.backstop.engine.schedule.Arrivals;
import io.backstop.server.lifecycle.InFlight;
import io.backstop.server.observe.Observability;
import io.backstop.server.observe.Observation;
import io.opentelemetry.context.Scope;
import io.backstop.server.openai.ApiException;
import io.backstop.server.openai.RequestIdOf;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every request passes before Javalin routes it, in this order: a request id, CORS (a preflight
 * is answered here, without the API key), refusal while the server drains, the API key, then for a POST
 * its content type and its whole body, read within the size and time limits. A request that fails a
 * step is answered here with an OpenAI-shaped error and never reaches a handler.
 */
final class RequestGate implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(RequestGate.class);
    static final Set<String> OPEN_PATHS = Set.of("/health", "/ready");
    /** Paths whose requests may start a local generation. */
    static final Set<String> GENERATION_PATHS = Set.of("/v1/chat/completions", "/v1/completions");

    private final KnownPaths paths;
    private final Cors cors;
    private final ApiKeyAuth auth;
    private final InFlight inFlight;
    private final BodyReader bodies;
    private final Observability observability;
    private final Set<String> keyless;

    /**
     * @param keyless paths served without the API key besides /health and /ready (the dashboard's files,
     *                and /metrics and /stats when {@code metrics.auth} opens them)
     */
    RequestGate(KnownPaths paths, Cors cors, ApiKeyAuth auth, InFlight inFlight, BodyReader bodies, Observability observability, Set<String> keyless) {
        this.paths = paths;
        this.cors = cors;
        this.auth = auth;
        this.inFlight = inFlight;
        this.bodies = bodies;
        this.observability = observability;
        this.keyless = Set.copyOf(keyless);
    }

    /** API requests are observed (metrics, access log, trace); health checks, scrapes and the dashboard's files are not. */
    private static boolean observed(String path) {
        return path.startsWith("/v1/") || path.equals("/tokenize") || path.equals("/detokenize");
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse res = (HttpServletResponse) response;
        String id = RequestIds.choose(req.getHeader("X-Request-Id"));
        req.setAttribute(RequestIdOf.ATTRIBUTE, id);
        res.setHeader("X-Request-Id", id);
        String path = req.getRequestURI();
        Observation observation = observed(path) ? observability.start(req, id) : Observation.of(req);
        boolean generation = "POST".equals(req.getMethod()) && GENERATION_PATHS.contains(path);
        if (generation) Arrivals.begin(); // a burst of requests then starts in one batch step (Arrivals)
        try (Scope ignored = observation.makeCurrent()) {
            filter(req, res, chain, id, path, observation);
        } finally {
            if (generation) Arrivals.end();
            observability.finish(observation, res.getStatus());
        }
    }

    private void filter(HttpServletRequest req, HttpServletResponse res, FilterChain chain, String id, String path, Observation observation)
            throws IOException, ServletException {
        try {
            if ("OPTIONS".equals(req.getMethod())) {
                options(req, res, path);
                return;
            }
            cors.decorate(req, res);
            if (inFlight.isDraining() && !OPEN_PATHS.contains(path)) {
                throw new ApiException(503, "server_error", null, "server_shutting_down", "the server is shutting down; retry on another instance",
                        Map.of("Retry-After", "5"));
            }
            if (!OPEN_PATHS.contains(path) && !keyless.contains(path)) auth.check(req.getHeader("Authorization"));
            if (!"POST".equals(req.getMethod())) {
                chain.doFilter(req, res);
                return;
            }
            String type = mediaType(req.getContentType());
            byte[] body = bodies.read(req);
            if (type.equals(FORM) && !looksLikeJson(body)) throw unsupported(type);
            chain.doFilter(new BufferedRequest(req, body), res);
        } catch (ApiException e) {
            observation.error(e.code() != null ? e.code() : Integer.toString(e.status()));
            // after a refused body the rest of it is never read: the connection must close
            HttpErrors.write(res, e, "POST".equals(req.getMethod()));
        } catch (BodyReader.ClientGone e) {
            observation.error("client_disconnected");
            LOG.debug("request {}: {}", id, e.getMessage());
        }
    }

    private void options(HttpServletRequest req, HttpServletResponse res, String path) throws IOException {
        Set<String> methods = paths.at(path);
        if (methods.isEmpty()) throw HttpErrors.of(404, "not_found", "no such endpoint");
        if (Cors.isPreflight(req)) {
            cors.preflight(req, res, methods);
        } else {
            res.setStatus(204);
            res.setHeader("Allow", KnownPaths.allowHeader(methods));
            cors.decorate(req, res);
        }
    }

    private static final String FORM = "application/x-www-form-urlencoded";

    /**
     * JSON bodies only. Without a Content-Type, or with the form type {@code curl -d} sends, a body that
     * looks like JSON is read as JSON (the README's curl examples rely on it); anything else is 415.
     */
    static String mediaType(String contentType) {
        String type = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (type.isEmpty() || type.equals(FORM) || type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"))) {
            return type;
        }
        throw unsupported(type);
    }

    private static ApiException unsupported(String type) {
        return HttpErrors.of(415, "unsupported_media_type", "Content-Type '" + type + "' is not supported; send a JSON body with Content-Type: application/json");
    }

    private static boolean looksLikeJson(byte[] body) {
        for (byte b : body) {
            if (b == ' ' || b == '\t' || b == '\r' || b == '\n') continue;
            return b == '{' || b == '[';
        }
        return true; // empty: the handler says the body is empty
    }
}
