package io.backstop.bench.server;

import io.backstop.engine.Model;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The real server on a free loopback port serving one local model as "bench" (and optional routes). */
public final class LocalServer implements AutoCloseable {
    public static final String MODEL = "bench";

    private final ModelRegistry registry;
    private final RouteTable routes;
    private final BackstopServer server;

    private LocalServer(Path modelDir, int maxInFlight, int queueSize, List<ProviderConfig> providers, List<RouteConfig> routeConfigs) {
        ModelConfig mc = new ModelConfig(MODEL, modelDir.toAbsolutePath().normalize(), null, "raw", maxInFlight, queueSize, true, RequestDefaults.none());
        ServerConfig config = new ServerConfig("127.0.0.1", 0, List.of(), 1 << 20, 0, 3600, List.of(mc), providers, routeConfigs);
        this.registry = new ModelRegistry(config.models(), 0);
        this.routes = new RouteTable(providers, routeConfigs, Map.of());
        this.server = new BackstopServer(config, registry, routes).start();
        try {
            registry.loadAll();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static LocalServer start(Path modelDir, int maxInFlight, int queueSize) {
        return new LocalServer(modelDir, maxInFlight, queueSize, List.of(), List.of());
    }

    public static LocalServer start(Path modelDir, List<ProviderConfig> providers, List<RouteConfig> routes) {
        return new LocalServer(modelDir, 1, 8, providers, routes);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public Model model() {
        return registry.get(MODEL);
    }

    public RouteTable routes() {
        return routes;
    }

    @Override
    public void close() {
        server.close();
        registry.close();
    }
}
