package io.backstop.server.route;

import io.backstop.server.config.ConfigException;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RouteConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/** Routes by public name, and the remote providers they use (API keys read from the environment). */
public final class RouteTable {
    private final Map<String, RouteConfig> routes = new LinkedHashMap<>();
    private final Map<String, RemoteProvider> providers = new LinkedHashMap<>();
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();

    public RouteTable(List<ProviderConfig> providerConfigs, List<RouteConfig> routeConfigs, Map<String, String> env) {
        this(providerConfigs, routeConfigs, env, () -> ThreadLocalRandom.current().nextDouble(), RouteClock.SYSTEM);
    }

    /**
     * @param jitter source of the backoff jitter in [0, 1) (tests make it constant)
     * @param clock  time for breakers and cool-downs, and the backoff sleep (tests move it by hand)
     */
    public RouteTable(List<ProviderConfig> providerConfigs, List<RouteConfig> routeConfigs, Map<String, String> env,
                      DoubleSupplier jitter, RouteClock clock) {
        for (ProviderConfig p : providerConfigs) {
            String key = null;
            if (p.apiKeyEnv() != null) {
                key = env.get(p.apiKeyEnv());
                if (key == null || key.isBlank()) {
                    throw new ConfigException("provider '" + p.name() + "': environment variable " + p.apiKeyEnv() + " (its api_key_env) is not set");
                }
            }
            providers.put(p.name(), new RemoteProvider(p, new UpstreamClient(p, key), new ProviderGuard(p, jitter, clock, breakers)));
        }
        for (RouteConfig r : routeConfigs) routes.put(r.name(), r);
    }

    public static RouteTable empty() {
        return new RouteTable(List.of(), List.of(), Map.of());
    }

    public RouteConfig route(String name) {
        return routes.get(name);
    }

    public RemoteProvider provider(String name) {
        return providers.get(name);
    }

    /** Every provider's breaker and cool-down, in configuration order. */
    public List<ProviderStatus> providerStatus() {
        return providers.values().stream().map(p -> p.guard().status()).toList();
    }

    /** Every provider's circuit breaker, by provider name (what the metrics binder reads). */
    public CircuitBreakerRegistry breakers() {
        return breakers;
    }

    /** The configured providers, in configuration order. */
    public List<RemoteProvider> providers() {
        return List.copyOf(providers.values());
    }

    /** Every route, in configuration order. */
    public List<RouteConfig> routes() {
        return List.copyOf(routes.values());
    }

    public List<String> routeNames() {
        return List.copyOf(routes.keySet());
    }
}
