package io.backstop.server.config;

import java.util.List;

/** A public model name served by an ordered chain of targets: the first that answers wins. */
public record RouteConfig(String name, List<Target> targets) {
    public RouteConfig {
        targets = List.copyOf(targets);
    }

    /**
     * One link of the chain.
     *
     * @param provider a provider's name, or {@link #LOCAL} for a model this server loads
     * @param model    the model name at that provider (for local: the local model's name)
     */
    public record Target(String provider, String model, Integer maxTokens, Double temperature) {
        public static final String LOCAL = "local";

        public boolean isLocal() {
            return LOCAL.equals(provider);
        }

        public String label() {
            return provider + ":" + model;
        }
    }
}
