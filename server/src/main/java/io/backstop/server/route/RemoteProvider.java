package io.backstop.server.route;

import io.backstop.server.config.ProviderConfig;

/** A configured remote provider: its HTTP client and its resilience guard. */
public record RemoteProvider(ProviderConfig config, UpstreamClient client, ProviderGuard guard) {
    public String name() {
        return config.name();
    }
}
