package io.backstop.server.route;

import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.openai.ApiException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models this server answers for: public name → loaded engine model. Models load after the HTTP
 * port is open, so /health answers at once and /ready (and model requests) say 503 until they are in.
 */
public final class ModelRegistry implements AutoCloseable {
    private final Map<String, ModelConfig> configs = new LinkedHashMap<>();
    private final Map<String, Model> loaded = new ConcurrentHashMap<>();
    private final int threads;
    private volatile boolean ready;

    public ModelRegistry(List<ModelConfig> models, int threads) {
        for (ModelConfig m : models) configs.put(m.name(), m);
        this.threads = threads;
    }

    /** Loads every configured model in order; a failure is thrown with the model's name. */
    public void loadAll() {
        for (ModelConfig c : configs.values()) {
            if (loaded.containsKey(c.name())) continue;
            try {
                loaded.put(c.name(), Engine.load(c.path(), new LoadOptions(c.name(), threads, c.maxInFlight(), c.queueSize(), c.chatTemplate()).withBackend(c.backend())
                        .withBatching((long) c.kvCacheMb() << 20, c.prefillTokens())));
            } catch (RuntimeException e) {
                throw new IllegalStateException("model '" + c.name() + "' (" + c.path() + "): " + e.getMessage(), e);
            }
        }
        ready = true;
    }

    public boolean isReady() {
        return ready;
    }

    /** The model for a request's "model" field: 404 when unknown, 503 while it loads. */
    public Model get(String name) {
        ModelConfig c = configs.get(name);
        if (c == null) throw ApiException.modelNotFound(name);
        Model m = loaded.get(name);
        if (m == null) throw ApiException.notReady("model '" + name + "'");
        return m;
    }

    public ModelConfig config(String name) {
        ModelConfig c = configs.get(name);
        if (c == null) throw ApiException.modelNotFound(name);
        return c;
    }

    public List<String> names() {
        return List.copyOf(configs.keySet());
    }

    /** The model if it is loaded, else null (for metrics: never throws). */
    public Model loaded(String name) {
        return loaded.get(name);
    }

    /** Compute threads per forward pass as configured (0 = the engine's default, physical cores). */
    public int threads() {
        return threads;
    }

    public boolean isLoaded(String name) {
        return loaded.containsKey(name);
    }

    @Override
    public void close() {
        loaded.values().forEach(Model::close);
        loaded.clear();
    }
}
