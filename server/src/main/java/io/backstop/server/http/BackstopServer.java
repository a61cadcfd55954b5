package io.backstop.server.http;

import io.backstop.engine.ContextOverflowException;
import io.backstop.engine.EngineException;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.QueueFullException;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.openai.ApiException;
import io.backstop.server.openai.ChatCompletionsHandler;
import io.backstop.server.openai.CompletionsHandler;
import io.backstop.server.openai.EmbeddingsHandler;
import io.backstop.server.openai.Json;
import io.backstop.server.openai.ModelsHandler;
import io.backstop.server.openai.RequestIdOf;
import io.backstop.server.openai.TokenizeHandler;
import io.backstop.server.route.ModelRegistry;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP server: routes, request ids, authentication and OpenAI-shaped errors. */
public final class BackstopServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackstopServer.class);
    private static final Set<String> OPEN_PATHS = Set.of("/health", "/ready");

    private final ServerConfig config;
    private final ModelRegistry models;
    private final io.backstop.server.route.RouteTable routes;
    private final RequestLog requestLog = new RequestLog(1000);
    private final ApiKeyAuth auth;
    private Javalin app;

    public BackstopServer(ServerConfig config, ModelRegistry models) {
        this(config, models, io.backstop.server.route.RouteTable.empty());
    }

    public BackstopServer(ServerConfig config, ModelRegistry models, io.backstop.server.route.RouteTable routes) {
        this.config = config;
        this.models = models;
        this.routes = routes;
        this.auth = new ApiKeyAuth(config.apiKeys());
    }

    public BackstopServer start() {
        ModelsHandler modelsHandler = new ModelsHandler(models, routes);
        TokenizeHandler tokenize = new TokenizeHandler(models);
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.http.disableCompression(); // SSE must reach the client token by token
        });
        app.before(this::identifyAndAuthenticate);
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.get("/ready", this::ready);
        app.post("/v1/chat/completions", new ChatCompletionsHandler(models, routes, requestLog, config.requestTimeoutSeconds()));
        app.post("/v1/completions", new CompletionsHandler(models, routes, requestLog, config.requestTimeoutSeconds()));
        app.get("/v1/models", modelsHandler::list);
        app.get("/v1/models/{id}", modelsHandler::get);
        app.get("/v1/providers", new io.backstop.server.openai.ProvidersHandler(routes)::list);
        app.post("/v1/embeddings", new EmbeddingsHandler(models));
        app.post("/tokenize", tokenize::tokenize);
        app.post("/detokenize", tokenize::detokenize);
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        app.exception(InvalidRequestException.class, (e, ctx) -> error(ctx, ApiException.invalid(e.field(), e.getMessage())));
        app.exception(ContextOverflowException.class, (e, ctx) -> error(ctx,
                new ApiException(400, "invalid_request_error", "messages", "context_length_exceeded", e.getMessage(), Map.of())));
        app.exception(QueueFullException.class, (e, ctx) -> error(ctx, ApiException.busy(e.getMessage())));
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, fromJavalin(e)));
        app.exception(EngineException.class, (e, ctx) -> internal(ctx, e));
        app.exception(Exception.class, (e, ctx) -> internal(ctx, e));
        app.start(config.host(), config.port());
        return this;
    }

    public int port() {
        return app.port();
    }

    public RequestLog requestLog() {
        return requestLog;
    }

    private void identifyAndAuthenticate(Context ctx) {
        String id = RequestIds.choose(ctx.header("X-Request-Id"));
        ctx.attribute(RequestIdOf.ATTRIBUTE, id);
        ctx.header("X-Request-Id", id);
        if (!OPEN_PATHS.contains(ctx.path())) auth.check(ctx.header("Authorization"));
    }

    private void ready(Context ctx) {
        ctx.status(models.isReady() ? 200 : 503);
        if (!models.isReady()) ctx.header("Retry-After", "5");
        ctx.json(Map.of("status", models.isReady() ? "ready" : "loading", "models",
                models.names().stream().map(n -> Map.of("id", n, "loaded", models.isLoaded(n))).toList()));
    }

    private static void error(Context ctx, ApiException e) {
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

    private ApiException fromJavalin(HttpResponseException e) {
        return switch (e.getStatus()) {
            case 413 -> new ApiException(413, "invalid_request_error", null, "request_too_large",
                    "request body is larger than the server's limit of " + config.maxBodyBytes() + " bytes", Map.of());
            case 404 -> new ApiException(404, "invalid_request_error", null, "not_found", "no such endpoint", Map.of());
            case 405 -> new ApiException(405, "invalid_request_error", null, "method_not_allowed", "method not allowed on this endpoint", Map.of());
            default -> new ApiException(e.getStatus(), "invalid_request_error", null, null, e.getMessage(), Map.of());
        };
    }

    @Override
    public void close() {
        if (app != null) app.stop();
    }
}
