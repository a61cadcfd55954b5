package io.backstop.server.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.hub.ModelNames;
import io.backstop.server.config.ConfigException;
import io.backstop.server.config.ConfigLoader;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.observe.ObserveConfig.AccessLogOptions;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The real server started inside {@code backstop eval} (one model, or a configuration file) on a free
 * loopback port, so a CI gate needs one command: the cases go over HTTP to it exactly as to a running
 * server. Its access log does not go to stdout, where the report is printed.
 */
final class EvalServer implements AutoCloseable {
    private final ModelRegistry registry;
    private final BackstopServer server;
    private final String apiKey;
    private final String modelName;

    private EvalServer(ServerConfig c, Map<String, String> env) {
        RouteTable routes = new RouteTable(c.providers(), c.routes(), env);
        this.registry = new ModelRegistry(c.models(), c.threads());
        this.server = new BackstopServer(c, registry, routes).start();
        this.apiKey = c.apiKeys().isEmpty() ? null : c.apiKeys().get(0);
        this.modelName = c.models().isEmpty() ? null : c.models().get(0).name();
        try {
            registry.loadAll();
        } catch (RuntimeException e) {
            close();
            throw new ConfigException(e.getMessage());
        }
    }

    /** One model as {@code serve --model} serves it (no downloads: a directory or GGUF file); named {@code name} or after its folder. */
    static EvalServer model(Path model, String name, Map<String, String> env) {
        Path dir = model.toAbsolutePath().normalize();
        if (!Files.exists(dir)) throw new ConfigException("--model: no model file or directory at " + model);
        String template;
        try {
            template = Engine.chatTemplates(dir).containsKey("default") ? null : "raw"; // base models get raw, as with serve
        } catch (ModelLoadException e) {
            throw new ConfigException("--model: " + e.getMessage());
        }
        ModelConfig m = new ModelConfig(name != null ? name : ModelNames.of(dir), dir, null, template,
                0, io.backstop.engine.LoadOptions.DEFAULT_QUEUE_SIZE, true, RequestDefaults.none()); // 0: the backend's default, as with serve
        return new EvalServer(onLoopback(new ConfigLoader(env).defaults(List.of(m))), env);
    }

    /** Everything a configuration file configures (models, providers, routes, guardrails, judges). */
    static EvalServer config(Path file, Map<String, String> env) {
        ServerConfig c = new ConfigLoader(env).load(file);
        if (c.models().isEmpty() && c.routes().isEmpty()) throw new ConfigException(file + ": no models or routes configured");
        return new EvalServer(onLoopback(c), env);
    }

    private static ServerConfig onLoopback(ServerConfig c) {
        c = c.withHost("127.0.0.1").withPort(0);
        AccessLogOptions log = c.observe().accessLog();
        if (AccessLogOptions.STDOUT.equals(log.target())) c = c.withObserve(c.observe().withAccessLog(new AccessLogOptions(AccessLogOptions.OFF, false)));
        return c;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** The server's first API key (null when it needs none). */
    String apiKey() {
        return apiKey;
    }

    /** The first model's public name (the one model of {@link #model}). */
    String modelName() {
        return modelName;
    }

    @Override
    public void close() {
        server.close();
        registry.close();
    }
}
