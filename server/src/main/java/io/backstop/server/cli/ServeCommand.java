package io.backstop.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ModelFetchException;
import io.backstop.engine.hub.ModelFetcher;
import io.backstop.engine.hub.ModelSources;
import io.backstop.server.config.ConfigException;
import io.backstop.server.config.ConfigLoader;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.route.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop serve}: the OpenAI-compatible HTTP server. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve models over an OpenAI-compatible HTTP API.",
                "With no arguments: the default configuration models/backstop.yaml (its model is downloaded on first run).",
                "--model DIR serves one model; --config FILE serves a full configuration. Flags override the file and the environment."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "Serve this one model: a directory or GGUF file, ollama:NAME[:TAG] (local Ollama store), or owner/name:QUANT (downloaded when missing).")
    Path model;

    @Option(names = "--name", paramLabel = "NAME", description = "Public name of --model (default: its folder name).")
    String name;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration (see models/example.yaml).")
    Path config;

    @Option(names = "--host", paramLabel = "ADDR", description = "Bind address (default 127.0.0.1).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "N", description = "Port (default 8080; 0 picks a free one).")
    Integer port;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require this bearer token (repeatable; prefer BACKSTOP_API_KEYS).")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--chat-template", paramLabel = "NAME", description = "Chat template for --model (default: the model's, else raw).")
    String chatTemplate;

    @Option(names = "--max-in-flight", paramLabel = "N", description = "Generations running at once for --model (default 2).")
    Integer maxInFlight;

    @Option(names = "--queue-size", paramLabel = "N", description = "Generations waiting for --model before 429 (default 32).")
    Integer queueSize;

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads per forward pass (default: physical cores).")
    Integer threads;

    private final Map<String, String> env;

    public ServeCommand() {
        this(System.getenv());
    }

    public ServeCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig c;
        try {
            c = resolveConfig();
            downloadMissingModels(c);
        } catch (ConfigException e) {
            System.err.println("backstop serve: " + e.getMessage());
            return 1;
        }
        io.backstop.server.route.RouteTable routes;
        try {
            routes = new io.backstop.server.route.RouteTable(c.providers(), c.routes(), env);
        } catch (ConfigException e) {
            System.err.println("backstop serve: " + e.getMessage());
            return 1;
        }
        ModelRegistry registry = new ModelRegistry(c.models(), c.threads());
        BackstopServer server = new BackstopServer(c, registry, routes).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            registry.close();
            stopped.countDown();
        }, "backstop-shutdown"));
        System.err.println("backstop: listening on http://" + c.host() + ":" + server.port() + " (loading " + String.join(", ", registry.names()) + ")");
        try {
            registry.loadAll();
        } catch (IllegalStateException e) {
            System.err.println("backstop serve: " + e.getMessage());
            server.close();
            registry.close();
            return 1;
        }
        List<String> served = new ArrayList<>(routes.routeNames());
        served.addAll(registry.names());
        System.err.println("backstop: ready: " + String.join(", ", served)
                + (c.apiKeys().isEmpty() ? "" : " (API keys required)"));
        stopped.await();
        return 0;
    }

    ServerConfig resolveConfig() {
        ConfigLoader loader = new ConfigLoader(env);
        if (model != null && config != null) throw new ConfigException("give either --model or --config, not both");
        ServerConfig c;
        if (model != null) {
            Path dir = localModel(model.toString()).toAbsolutePath().normalize();
            if (!Files.exists(dir)) throw new ConfigException("--model: no model file or directory at " + model);
            String template = chatTemplate != null ? chatTemplate : (isBaseSafetensorsModel(dir) ? "raw" : null);
            String shown = ModelSources.displayName(model.toString());
            ModelConfig m = new ModelConfig(name != null ? name : shown != null ? shown : dir.getFileName().toString(), dir, null, template,
                    maxInFlight != null ? maxInFlight : io.backstop.engine.LoadOptions.DEFAULT_MAX_IN_FLIGHT,
                    queueSize != null ? queueSize : io.backstop.engine.LoadOptions.DEFAULT_QUEUE_SIZE, true, RequestDefaults.none());
            c = loader.defaults(List.of(m));
        } else {
            Path file = config != null ? config : defaultConfig();
            c = loader.load(file);
            if (c.models().isEmpty()) throw new ConfigException(file + ": no models configured (add one under 'models:')");
        }
        if (host != null) c = c.withHost(host);
        if (port != null) {
            if (port < 0 || port > 65535) throw new ConfigException("--port must be between 0 and 65535, got " + port);
            c = c.withPort(port);
        }
        if (!apiKeys.isEmpty()) c = c.withApiKeys(apiKeys);
        if (threads != null) c = c.withThreads(threads);
        return c;
    }

    private static Path defaultConfig() {
        return Path.of(System.getProperty("backstop.home", "."), "models", "backstop.yaml");
    }

    /** Like `ollama run`: a configured model that is not on disk yet is downloaded first, with progress. */
    private void downloadMissingModels(ServerConfig c) {
        for (ModelConfig m : c.models()) {
            if (m.repo() == null || ModelSources.isDownloaded(m.repo(), m.path())) continue;
            ModelFetcher fetcher = new ModelFetcher(env);
            System.err.println("backstop: downloading " + m.repo() + " from " + fetcher.endpoint() + " into " + m.path());
            try {
                fetcher.fetch(m.repo(), m.path(), null, ConsoleProgress.toStderr());
            } catch (ModelFetchException e) {
                throw new ConfigException("cannot download model '" + m.name() + "' (" + m.repo() + "): " + e.getMessage()
                        + ". Set HF_ENDPOINT to a reachable Hugging Face mirror, or serve a local model with --model PATH.");
            }
        }
    }

    /** --model as a local path: ollama:NAME[:TAG] from the Ollama store, owner/name:QUANT downloaded when missing. */
    private Path localModel(String spec) {
        try {
            return ModelSources.resolve(spec, env, ConsoleProgress.toStderr());
        } catch (ModelFetchException e) {
            throw new ConfigException("--model " + spec + ": " + e.getMessage());
        }
    }

    /** A Hugging Face folder without a chat template; a GGUF file carries its template in its metadata. */
    private static boolean isBaseSafetensorsModel(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) && !hasChatTemplate(dir);
    }

    private static boolean hasChatTemplate(Path dir) {
        Path tc = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(tc)) return false;
        try {
            return new ObjectMapper().readTree(tc.toFile()).has("chat_template");
        } catch (IOException e) {
            return false;
        }
    }
}
