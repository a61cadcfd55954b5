package io.backstop.bench.server;

import io.backstop.engine.Model;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.observe.Observability;
import io.backstop.server.observe.ObserveConfig;
import io.backstop.server.observe.trace.Tracing;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The real server on a free loopback port serving one local model as "bench" (and optional routes); for
 * comparisons, several servers with different observability on the same loaded model, side by side.
 */
public final class LocalServer implements AutoCloseable {
    public static final String MODEL = "bench";

    private final ModelRegistry registry;
    private final RouteTable routes;
    private final List<BackstopServer> servers = new java.util.ArrayList<>();

    /** How much the server observes itself while measured. */
    public enum Observe {
        /** the defaults, except the access log (a line per request on stdout would mix with the bench's output) */
        DEFAULT,
        /** metrics, tracing and the access log off */
        OFF,
        /** metrics, tracing (an SDK with a batch processor and an exporter that discards) and the access log to a file */
        ALL
    }

    private LocalServer(Path modelDir, int maxInFlight, int queueSize, List<ProviderConfig> providers, List<RouteConfig> routeConfigs, List<Observe> observe) {
        ModelConfig mc = new ModelConfig(MODEL, modelDir.toAbsolutePath().normalize(), null, "raw", maxInFlight, queueSize, true, RequestDefaults.none());
        ServerConfig base = new ServerConfig("127.0.0.1", 0, List.of(), 1 << 20, 0, 3600, List.of(mc), providers, routeConfigs);
        this.registry = new ModelRegistry(base.models(), 0);
        this.routes = new RouteTable(providers, routeConfigs, Map.of());
        try {
            for (Observe o : observe) {
                ServerConfig config = base.withObserve(observeConfig(o));
                Tracing tracing = o == Observe.ALL ? Tracing.of(OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                        .addSpanProcessor(BatchSpanProcessor.builder(SpanExporter.composite()).build()).build()).build()) : Tracing.off();
                servers.add(new BackstopServer(config, registry, routes, Observability.create(config, registry, routes, tracing, Math::random)).start());
            }
            registry.loadAll();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static ObserveConfig observeConfig(Observe o) {
        return switch (o) {
            case DEFAULT -> ObserveConfig.defaults().withAccessLog(new ObserveConfig.AccessLogOptions(ObserveConfig.AccessLogOptions.OFF, false));
            case OFF -> ObserveConfig.off();
            case ALL -> {
                try {
                    Path log = java.nio.file.Files.createTempFile("backstop-bench-access", ".jsonl");
                    log.toFile().deleteOnExit();
                    yield ObserveConfig.defaults().withTracing(true).withAccessLog(new ObserveConfig.AccessLogOptions(log.toString(), false));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /** With the given observability (the server-overhead bench compares OFF with ALL). */
    public static LocalServer start(Path modelDir, int maxInFlight, int queueSize, Observe observe) {
        return new LocalServer(modelDir, maxInFlight, queueSize, List.of(), List.of(), List.of(observe));
    }

    /** One server per mode, all on the same loaded model (so a comparison measures the servers, not two model copies). */
    public static LocalServer start(Path modelDir, int maxInFlight, int queueSize, List<Observe> modes) {
        return new LocalServer(modelDir, maxInFlight, queueSize, List.of(), List.of(), modes);
    }

    public static LocalServer start(Path modelDir, int maxInFlight, int queueSize) {
        return start(modelDir, maxInFlight, queueSize, Observe.DEFAULT);
    }

    public static LocalServer start(Path modelDir, List<ProviderConfig> providers, List<RouteConfig> routes) {
        return new LocalServer(modelDir, 1, 8, providers, routes, List.of(Observe.DEFAULT));
    }

    public String baseUrl() {
        return baseUrl(0);
    }

    /** The base URL of the server started for the {@code i}-th mode. */
    public String baseUrl(int i) {
        return "http://127.0.0.1:" + servers.get(i).port();
    }

    public Model model() {
        return registry.get(MODEL);
    }

    public RouteTable routes() {
        return routes;
    }

    @Override
    public void close() {
        servers.forEach(BackstopServer::close);
        registry.close();
    }
}
