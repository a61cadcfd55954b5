package io.backstop.server.cli;

import io.backstop.engine.Engine;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.cli.CliErrors;
import io.backstop.engine.cli.LogLevelOption;
import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ModelFetchException;
import io.backstop.engine.hub.ModelFetcher;
import io.backstop.engine.hub.ModelNames;
import io.backstop.engine.hub.ModelSources;
import io.backstop.server.config.ConfigException;
import io.backstop.server.config.ConfigLoader;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.lifecycle.GracefulShutdown;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop serve}: the OpenAI-compatible HTTP server. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve models over an OpenAI-compatible HTTP API.",
                "With no arguments: the default configuration models/backstop.yaml (its model is downloaded on first run).",
                "--model PATH serves one model; --config FILE serves a full configuration. Flags override the file and the environment."})
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "Serve this one model: a directory or GGUF file, ollama:NAME[:TAG] (local Ollama store), or owner/name:QUANT (downloaded when missing).")
    Path model;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Public name of --model (default: its folder name; for a folder such as hf/, its config's _name_or_path or the parent folder).")
    String name;

    @Option(names = "--backend", paramLabel = "NAME", description = "native (GGUF) or jlama (safetensors) for --model (default: chosen by what --model holds).")
    String backend;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration (see models/example.yaml).")
    Path config;

    @Option(names = "--host", paramLabel = "ADDR", description = "Bind address (default 127.0.0.1).")
    String host;

    private Integer port;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require this bearer token (repeatable; prefer BACKSTOP_API_KEYS).")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--chat-template", paramLabel = "NAME", description = "Chat template for --model (default: the model's, else raw).")
    String chatTemplate;

    private Integer maxInFlight;
    private Integer queueSize;
    private Integer threads;

    @Mixin
    LogLevelOption logLevel;

    private final Map<String, String> env;

    public ServeCommand() {
        this(System.getenv());
    }

    public ServeCommand(Map<String, String> env) {
        this.env = env;
    }

    // Numeric flags are checked as they are parsed: a bad value exits 2 before anything is read or loaded.

    @Option(names = {"-p", "--port"}, paramLabel = "N", description = "Port (default 8080; 0 picks a free one).")
    void port(int n) {
        port = inRange("--port", n, 0, 65535);
    }

    @Option(names = "--max-in-flight", paramLabel = "N", description = "Generations running at once for --model (default: 8 on the native engine, which batches them; 2 on Jlama).")
    void maxInFlight(int n) {
        maxInFlight = inRange("--max-in-flight", n, 1, ConfigLoader.MAX_IN_FLIGHT);
    }

    @Option(names = "--queue-size", paramLabel = "N", description = "Generations waiting for --model before 429 (default 32).")
    void queueSize(int n) {
        queueSize = inRange("--queue-size", n, 0, ConfigLoader.MAX_QUEUE_SIZE);
    }

    @Option(names = "--threads", paramLabel = "N", description = "Compute threads per forward pass (default: physical cores).")
    void threads(int n) {
        threads = inRange("--threads", n, 0, ConfigLoader.MAX_THREADS);
    }

    private int inRange(String flag, int n, int min, int max) {
        if (n < min || n > max) throw CliErrors.usage(spec, flag + " must be between " + min + " and " + max + ", got " + n);
        return n;
    }

    @Override
    public Integer call() throws Exception {
        checkFlags();
        ServerConfig c;
        RouteTable routes;
        try {
            c = resolveConfig();
            if (logLevel.level() == null && c.logLevel() != null) LogLevelOption.apply(c.logLevel()); // before anything logs
            routes = new RouteTable(c.providers(), c.routes(), env); // provider keys are checked before any download
            downloadMissingModels(c);
            checkModels(c);
        } catch (ConfigException e) {
            System.err.println("backstop serve: " + e.getMessage());
            return 1;
        }
        ModelRegistry registry = new ModelRegistry(c.models(), c.threads());
        BackstopServer server;
        try {
            server = listen(c, registry, routes);
        } catch (CannotListen e) {
            System.err.println("backstop serve: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            registry.close();
            stopped.countDown();
        }, "backstop-shutdown"));
        GracefulShutdown.onSignals(server, registry, java.time.Duration.ofSeconds(c.http().drainTimeoutSeconds()));
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

    /** Flags that contradict each other, or that apply to --model only: one line, exit 2, before anything else. */
    private void checkFlags() {
        if (model != null && config != null) throw CliErrors.usage(spec, "give either --model or --config, not both");
        if (model == null) {
            for (String flag : List.of("--name", "--chat-template", "--max-in-flight", "--queue-size", "--backend")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
                    throw CliErrors.usage(spec, flag + " applies to --model only; a configuration file sets it per model (models[].*)");
                }
            }
        }
        if (name != null && name.isBlank()) throw CliErrors.usage(spec, "--name must not be empty");
        if (backend != null && !backend.equals("native") && !backend.equals("jlama")) {
            throw CliErrors.usage(spec, "--backend must be native or jlama, got '" + backend + "'");
        }
        if (host != null && host.isBlank()) throw CliErrors.usage(spec, "--host must not be empty");
        if (apiKeys.stream().anyMatch(String::isBlank)) throw CliErrors.usage(spec, "--api-key must not be empty");
    }

    ServerConfig resolveConfig() {
        ConfigLoader loader = new ConfigLoader(env);
        ServerConfig c;
        if (model != null) {
            Path dir = localModel(model.toString()).toAbsolutePath().normalize();
            if (!Files.exists(dir)) throw new ConfigException("--model: no model file or directory at " + model);
            String template = chatTemplate != null ? chatTemplate : (shipsChatTemplate(dir) ? null : "raw");
            String shown = ModelSources.displayName(model.toString());
            ModelConfig m = new ModelConfig(name != null ? name : shown != null ? shown : ModelNames.of(dir), dir, null, template,
                    maxInFlight != null ? maxInFlight : 0, // the backend's default
                    queueSize != null ? queueSize : io.backstop.engine.LoadOptions.DEFAULT_QUEUE_SIZE, true, RequestDefaults.none(), backend);
            c = loader.defaults(List.of(m));
        } else {
            Path file = config != null ? config : defaultConfig();
            c = loader.load(file);
            if (c.models().isEmpty()) throw new ConfigException(file + ": no models configured (add one under 'models:')");
        }
        if (host != null) c = c.withHost(host);
        if (port != null) c = c.withPort(port);
        if (!apiKeys.isEmpty()) c = c.withApiKeys(apiKeys);
        if (threads != null) c = c.withThreads(threads);
        if (logLevel.level() != null) c = c.withLogLevel(logLevel.level());
        return c;
    }

    /** What would fail only at load time — not a model directory, an unknown chat template — fails before "listening". */
    private void checkModels(ServerConfig c) {
        for (int i = 0; i < c.models().size(); i++) {
            ModelConfig m = c.models().get(i);
            try {
                if (m.chatTemplate() != null) Engine.checkChatTemplate(m.path(), m.chatTemplate());
                else Engine.chatTemplates(m.path());
            } catch (InvalidRequestException e) {
                if (model != null) throw CliErrors.usage(spec, "--chat-template: " + e.getMessage());
                throw new ConfigException("models[" + i + "].chat_template: " + e.getMessage());
            } catch (ModelLoadException e) {
                throw new ConfigException((model != null ? "--model: " : "models[" + i + "].path: ") + e.getMessage());
            }
        }
    }

    /**
     * Starts the HTTP server. The address is first bound with a plain socket, so that a port in use is one
     * line ("cannot listen on 127.0.0.1:8080: address in use") rather than Javalin's error log and exception.
     */
    private static BackstopServer listen(ServerConfig c, ModelRegistry registry, RouteTable routes) {
        String address = (c.host().contains(":") ? "[" + c.host() + "]" : c.host()) + ":" + c.port();
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            InetSocketAddress at = new InetSocketAddress(c.host(), c.port());
            if (at.isUnresolved()) throw new CannotListen(address, "unknown host");
            probe.bind(at);
        } catch (IOException e) {
            throw new CannotListen(address, reason(e));
        }
        try {
            return new BackstopServer(c, registry, routes).start();
        } catch (RuntimeException e) { // taken between the probe and the start
            Throwable cause = e.getCause() instanceof IOException io ? io : e;
            throw new CannotListen(address, cause instanceof IOException io ? reason(io) : String.valueOf(e.getMessage()));
        }
    }

    private static String reason(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("in use")) return "address in use";
        if (m.contains("cannot assign") || m.contains("not available")) return "no such address on this machine";
        if (m.contains("permission denied") || m.contains("access")) return "permission denied (ports below 1024 need privileges)";
        return m;
    }

    /** The server could not bind its address; the message is the whole user-facing line. */
    private static final class CannotListen extends RuntimeException {
        CannotListen(String address, String reason) {
            super("cannot listen on " + address + ": " + reason);
        }
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
    private Path localModel(String source) {
        try {
            return ModelSources.resolve(source, env, ConsoleProgress.toStderr());
        } catch (ModelFetchException e) {
            throw new ConfigException("--model " + source + ": " + e.getMessage());
        }
    }

    /** Whether the model ships a chat template (tokenizer_config.json, or a GGUF's metadata); base models get raw. */
    private static boolean shipsChatTemplate(Path dir) {
        try {
            return Engine.chatTemplates(dir).containsKey("default");
        } catch (ModelLoadException e) {
            throw new ConfigException("--model: " + e.getMessage());
        }
    }
}
