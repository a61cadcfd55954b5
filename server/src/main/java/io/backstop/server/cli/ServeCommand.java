package io.backstop.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ModelFetchException;
import io.backstop.engine.hub.ModelFetcher;
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
    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = "Serve this one model: a GGUF file, a folder with one .gguf, or a Hugging Face model directory.")
    Path model;

    @Option(names = "--name", paramLabel = "NAME", description = "Public name of --model (default: its folder name, or the GGUF file's name).")
    String name;

    @Option(names = "--backend", paramLabel = "NAME", description = "native (GGUF) or jlama (safetensors) for --model (default: chosen by what --model holds).")
    String backend;

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
            Path dir = model.toAbsolutePath().normalize();
            if (!Files.exists(dir)) throw new ConfigException("--model: model does not exist: " + model);
            if (backend != null && !backend.equals("native") && !backend.equals("jlama")) {
                throw new ConfigException("--backend must be native or jlama, got '" + backend + "'");
            }
            String template = chatTemplate != null ? chatTemplate : (hasChatTemplate(dir) ? null : "raw");
            String defaultName = dir.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
            ModelConfig m = new ModelConfig(name != null ? name : defaultName, dir, null, template,
                    maxInFlight != null ? maxInFlight : io.backstop.engine.LoadOptions.DEFAULT_MAX_IN_FLIGHT,
                    queueSize != null ? queueSize : io.backstop.engine.LoadOptions.DEFAULT_QUEUE_SIZE, true, RequestDefaults.none(), backend);
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
            if (m.repo() == null || Files.isRegularFile(m.path().resolve("config.json"))) continue;
            ModelFetcher fetcher = new ModelFetcher(env);
            System.err.println("backstop: downloading " + m.repo() + " from " + fetcher.endpoint() + " into " + m.path());
            try {
                fetcher.fetch(m.repo(), m.path(), null, ConsoleProgress.toStderr());
            } catch (ModelFetchException e) {
                throw new ConfigException("cannot download model '" + m.name() + "' (" + m.repo() + "): " + e.getMessage()
                        + ". Set HF_ENDPOINT to a reachable Hugging Face mirror, or serve a local model with --model DIR.");
            }
        }
    }

    /** Whether the model ships a chat template: GGUF metadata, a folder's single GGUF, or tokenizer_config.json. */
    private static boolean hasChatTemplate(Path dir) {
        Path gguf = io.backstop.engine.Engine.ggufFileOf(dir);
        if (gguf != null) {
            try (var f = io.backstop.engine.backend.gguf.file.GgufFile.open(gguf)) {
                return f.metadata().has("tokenizer.chat_template");
            } catch (RuntimeException e) {
                return false; // loading reports the problem
            }
        }
        Path tc = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(tc)) return false;
        try {
            return new ObjectMapper().readTree(tc.toFile()).has("chat_template");
        } catch (IOException e) {
            return false;
        }
    }
}
