package io.backstop.server.config;

import io.backstop.server.guard.config.GuardConfig;
import io.backstop.server.observe.ObserveConfig;
import java.util.List;

/**
 * Everything {@code backstop serve} needs.
 *
 * @param host           bind address; 127.0.0.1 by default so nothing is exposed by accident
 * @param apiKeys        accepted bearer tokens; empty = no authentication
 * @param maxBodyBytes   largest request body; bigger ones get 413
 * @param threads        compute threads per forward pass (0 = physical cores)
 * @param requestTimeoutSeconds a generation running longer is cancelled (0 = no limit)
 * @param http           timeouts, connection limits, drain, embedding limits, CORS and model aliases
 * @param logLevel       slf4j level (logging.level, --log-level), or null for the default (warn)
 * @param observe        metrics, tracing, access log, dashboard, pricing and judging
 * @param guardrails     guardrail profiles and what each route and model attaches (none by default)
 */
public record ServerConfig(String host, int port, List<String> apiKeys, long maxBodyBytes, int threads,
                           int requestTimeoutSeconds, List<ModelConfig> models, List<ProviderConfig> providers,
                           List<RouteConfig> routes, HttpOptions http, String logLevel, ObserveConfig observe,
                           GuardConfig guardrails) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    public static final int DEFAULT_TIMEOUT_SECONDS = 600;

    public ServerConfig {
        apiKeys = List.copyOf(apiKeys);
        models = List.copyOf(models);
        providers = providers == null ? List.of() : List.copyOf(providers);
        routes = routes == null ? List.of() : List.copyOf(routes);
        http = http == null ? HttpOptions.defaults() : http;
        observe = observe == null ? ObserveConfig.defaults() : observe;
        guardrails = guardrails == null ? GuardConfig.none() : guardrails;
    }

    /** Without guardrails. */
    public ServerConfig(String host, int port, List<String> apiKeys, long maxBodyBytes, int threads, int requestTimeoutSeconds, List<ModelConfig> models,
                        List<ProviderConfig> providers, List<RouteConfig> routes, HttpOptions http, String logLevel, ObserveConfig observe) {
        this(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, null);
    }

    /** With the default observability and no guardrails. */
    public ServerConfig(String host, int port, List<String> apiKeys, long maxBodyBytes, int threads, int requestTimeoutSeconds,
                        List<ModelConfig> models, List<ProviderConfig> providers, List<RouteConfig> routes, HttpOptions http, String logLevel) {
        this(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, null, null);
    }

    /** With the default {@link HttpOptions} and log level. */
    public ServerConfig(String host, int port, List<String> apiKeys, long maxBodyBytes, int threads,
                        int requestTimeoutSeconds, List<ModelConfig> models, List<ProviderConfig> providers, List<RouteConfig> routes) {
        this(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, null, null);
    }

    /** Without providers and routes: local models only. */
    public ServerConfig(String host, int port, List<String> apiKeys, long maxBodyBytes, int threads,
                        int requestTimeoutSeconds, List<ModelConfig> models) {
        this(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, List.of(), List.of());
    }

    public ServerConfig withRouting(List<ProviderConfig> p, List<RouteConfig> r) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, p, r, http, logLevel, observe, guardrails);
    }

    public ServerConfig withHost(String h) {
        return new ServerConfig(h, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, guardrails);
    }

    public ServerConfig withThreads(int t) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, t, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, guardrails);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, guardrails);
    }

    public ServerConfig withApiKeys(List<String> keys) {
        return new ServerConfig(host, port, keys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, guardrails);
    }

    public ServerConfig withMaxBodyBytes(long bytes) {
        return new ServerConfig(host, port, apiKeys, bytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, guardrails);
    }

    public ServerConfig withModels(List<ModelConfig> m) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, m, providers, routes, http, logLevel, observe, guardrails);
    }

    public ServerConfig withHttp(HttpOptions h) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, h, logLevel, observe, guardrails);
    }

    public ServerConfig withLogLevel(String level) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, level, observe, guardrails);
    }

    public ServerConfig withObserve(ObserveConfig o) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, o, guardrails);
    }

    public ServerConfig withGuardrails(GuardConfig g) {
        return new ServerConfig(host, port, apiKeys, maxBodyBytes, threads, requestTimeoutSeconds, models, providers, routes, http, logLevel, observe, g);
    }
}
