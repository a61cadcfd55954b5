package io.backstop.server.http;

import io.backstop.engine.ContextOverflowException;
import io.backstop.engine.EngineException;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.QueueFullException;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.guard.GuardLog;
import io.backstop.server.guard.GuardService;
import io.backstop.server.guard.InputGuard;
import io.backstop.server.guard.rules.RuleLoader;
import io.backstop.server.lifecycle.InFlight;
import io.backstop.server.observe.Observability;
import io.backstop.server.observe.Observation;
import io.backstop.server.observe.web.ObserveEndpoints;
import io.backstop.server.openai.ApiException;
import io.backstop.server.openai.ChatCompletionsHandler;
import io.backstop.server.openai.CompletionsHandler;
import io.backstop.server.openai.EmbeddingsHandler;
import io.backstop.server.openai.Json;
import io.backstop.server.openai.ModelAliases;
import io.backstop.server.openai.ModelsHandler;
import io.backstop.server.openai.RequestIdOf;
import io.backstop.server.openai.TokenizeHandler;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: routes and OpenAI-shaped errors; the protections in front of them are in {@link RequestGate}. */
public final class BackstopServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackstopServer.class);

    private final ServerConfig config;
    private final ModelRegistry models;
    private final RouteTable routes;
    private final Observability observability;
    private final RequestLog requestLog = new RequestLog(1000);
    private final InFlight inFlight = new InFlight();
    private final KnownPaths paths = new KnownPaths();
    private Clock guardClock = Clock.systemUTC();
    private GuardService guards;
    private Javalin app;
    private ServerConnector[] connector;

    public BackstopServer(ServerConfig config, ModelRegistry models) {
        this(config, models, RouteTable.empty());
    }

    public BackstopServer(ServerConfig config, ModelRegistry models, RouteTable routes) {
        this(config, models, routes, Observability.create(config, models, routes, System.getenv()));
    }

    /** With its observability built by the caller (tests give it an in-memory trace exporter); closed with the server. */
    public BackstopServer(ServerConfig config, ModelRegistry models, RouteTable routes, Observability observability) {
        this.config = config;
        this.models = models;
        this.routes = routes;
        this.observability = observability;
    }

    /** The clock business rules keep time by (a daily token budget's day); tests set one they move by hand. Before {@link #start}. */
    public BackstopServer guardClock(Clock clock) {
        this.guardClock = clock;
        return this;
    }

    public BackstopServer start() {
        guards = new GuardService(config.guardrails(), RuleLoader.defaultLoader(), guardClock, this::tokenCounter);
        ModelAliases aliases = new ModelAliases(config.http().modelAliases());
        ModelsHandler modelsHandler = new ModelsHandler(models, routes, aliases);
        TokenizeHandler tokenize = new TokenizeHandler(models, aliases);
        ObserveEndpoints observe = new ObserveEndpoints(observability);
        RequestGate gate = new RequestGate(paths, new Cors(config.http().corsOrigins()), new ApiKeyAuth(config.apiKeys()), inFlight,
                new BodyReader(config.maxBodyBytes(), Duration.ofSeconds(config.http().bodyTimeoutSeconds())), observability, observe.openPaths(config.host()));
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.http.disableCompression(); // SSE must reach the client token by token
            connector = JettySetup.apply(cfg, config, gate);
        });
        get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        get("/ready", this::ready);
        post("/v1/chat/completions", new ChatCompletionsHandler(models, routes, requestLog, inFlight, aliases, config.requestTimeoutSeconds(), guards));
        post("/v1/completions", new CompletionsHandler(models, routes, requestLog, inFlight, aliases, config.requestTimeoutSeconds(), guards));
        get("/v1/models", modelsHandler::list);
        get("/v1/models/{id}", modelsHandler::get);
        get("/v1/providers", new io.backstop.server.openai.ProvidersHandler(routes)::list);
        post("/v1/embeddings", new EmbeddingsHandler(models, aliases, config.http().maxEmbeddingInputs(), config.http().maxEmbeddingTokens(), guards));
        if (config.observe().metrics().enabled()) get("/metrics", observe::metrics);
        get("/stats", observe::stats);
        if (config.observe().dashboard()) {
            get("/", observe::index);
            get("/ui/{file}", observe::asset);
        }
        post("/tokenize", tokenize::tokenize);
        post("/detokenize", tokenize::detokenize);
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        app.exception(InvalidRequestException.class, (e, ctx) -> error(ctx, ApiException.invalid(e.field(), e.getMessage())));
        app.exception(ContextOverflowException.class, (e, ctx) -> error(ctx, ApiException.contextLengthExceeded(e)));
        app.exception(QueueFullException.class, (e, ctx) -> error(ctx, ApiException.busy(e.getMessage())));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, fromJavalin(ctx, e)));
        app.exception(EngineException.class, (e, ctx) -> internal(ctx, e));
        app.exception(Exception.class, (e, ctx) -> internal(ctx, e));
        app.start();
        return this;
    }

    private void get(String path, Handler handler) {
        app.get(path, handler);
        app.head(path, handler);
        paths.add(path, "GET");
        paths.add(path, "HEAD");
    }

    private void post(String path, Handler handler) {
        app.post(path, handler);
        paths.add(path, "POST");
    }

    public int port() {
        return connector[0].getLocalPort();
    }

    /** The listening connector (for tests and diagnostics). */
    ServerConnector connector() {
        return connector[0];
    }

    public RequestLog requestLog() {
        return requestLog;
    }

    /** The last guardrail decisions (check, action, score; never matched text). */
    public GuardLog guardLog() {
        return guards.log();
    }

    /**
     * How the token limits of a public name count: with its local model's tokenizer (a route's first local
     * target), once loaded; else about four characters per token.
     */
    private ToIntFunction<String> tokenCounter(String name) {
        String local = models.names().contains(name) ? name : routes.route(name) == null ? null
                : routes.route(name).targets().stream().filter(t -> t.isLocal()).map(t -> t.model()).findFirst().orElse(null);
        if (local == null) return InputGuard::estimateTokens;
        return text -> models.isLoaded(local) ? models.get(local).tokenize(text, false).length : InputGuard.estimateTokens(text);
    }

    /** The generations requests are waiting on (what a graceful shutdown drains). */
    public InFlight inFlight() {
        return inFlight;
    }

    /** Closes the listening socket: open connections stay, new ones are refused by the operating system. */
    public void stopAccepting() {
        connector[0].shutdown();
    }

    private void ready(Context ctx) {
        boolean ready = models.isReady() && !inFlight.isDraining();
        ctx.status(ready ? 200 : 503);
        if (!ready) ctx.header("Retry-After", "5");
        ctx.json(Map.of("status", inFlight.isDraining() ? "draining" : ready ? "ready" : "loading", "models",
                models.names().stream().map(n -> Map.of("id", n, "loaded", models.isLoaded(n))).toList()));
    }

    private static void error(Context ctx, ApiException e) {
        Observation.of(ctx).error(e.code() != null ? e.code() : Integer.toString(e.status()));
        ctx.status(e.status());
        e.headers().forEach(ctx::header);
        ctx.contentType("application/json").result(Json.write(Json.error(e)));
    }

    /** Real bugs: logged with the request id and stack trace, never shown to the client. */
    private static void internal(Context ctx, Exception e) {
        String id = RequestIdOf.get(ctx);
        LOG.error("request {} {} {} failed", id, ctx.method(), ctx.path(), e);
        error(ctx, new ApiException(500, "server_error", null, "internal_error",
                "internal server error; quote request id " + id + " when reporting it", Map.of()));
    }

    private ApiException fromJavalin(Context ctx, HttpResponseException e) {
        return switch (e.getStatus()) {
            case 413 -> new ApiException(413, "invalid_request_error", null, "request_too_large",
                    "request body is larger than the server's limit of " + config.maxBodyBytes() + " bytes", Map.of());
            case 404, 405 -> {
                Set<String> allowed = paths.at(ctx.path());
                yield allowed.isEmpty()
                        ? new ApiException(404, "invalid_request_error", null, "not_found", "no such endpoint", Map.of())
                        : new ApiException(405, "invalid_request_error", null, "method_not_allowed", ctx.method() + " is not allowed on "
                                + ctx.path() + "; use " + String.join(" or ", allowed), Map.of("Allow", KnownPaths.allowHeader(allowed)));
            }
            default -> new ApiException(e.getStatus(), "invalid_request_error", null, null, e.getMessage(), Map.of());
        };
    }

    public Observability observability() {
        return observability;
    }

    @Override
    public void close() {
        if (app != null) app.stop();
        observability.close();
    }
}
