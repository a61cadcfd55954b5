package io.backstop.server.openai;

import java.util.Map;

/** {@code server.model_aliases}: extra public names (e.g. gpt-4o-mini) for a model or route, so unmodified apps work. */
public final class ModelAliases {
    private final Map<String, String> aliases;

    public ModelAliases(Map<String, String> aliases) {
        this.aliases = Map.copyOf(aliases);
    }

    /** The model or route a request's "model" names. */
    public String resolve(String name) {
        return aliases.getOrDefault(name, name);
    }

    /** Alias → target, as configured. */
    public Map<String, String> all() {
        return aliases;
    }
}
