package io.backstop.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.cli.LogLevelOption;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.config.AttachmentReader;
import io.backstop.server.guard.config.GuardConfig;
import io.backstop.server.guard.config.GuardrailsConfigParser;
import io.backstop.server.observe.ObserveConfig;
import io.backstop.server.observe.ObserveConfigParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the YAML configuration, then applies environment variables, strictly: an unknown key, a
 * wrong type or a bad value fails start-up with one message naming the key. Relative model paths are
 * resolved against the configuration file's folder.
 */
public final class ConfigLoader {
    public static final int MAX_THREADS = 1024;
    public static final int MAX_IN_FLIGHT = 64;
    public static final int MAX_KV_CACHE_MB = 1 << 20;
    public static final int MAX_PREFILL_TOKENS = 1024;
    public static final int MAX_QUEUE_SIZE = 100_000;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP = union(Set.of("server", "engine", "models", "providers", "routes", "logging", "guardrails"), ObserveConfigParser.SECTIONS);
    private static final Set<String> LOGGING = union(Set.of("level"), ObserveConfigParser.LOGGING_KEYS);
    private static final Set<String> SERVER = Set.of("host", "port", "api_keys", "max_body_bytes", "request_timeout_seconds",
            "header_timeout_seconds", "body_timeout_seconds", "max_connections_per_client", "drain_timeout_seconds",
            "max_embedding_inputs", "max_embedding_tokens", "cors_origins", "model_aliases");
    private static final Set<String> ENGINE = Set.of("threads");
    private static final Set<String> MODEL = union(Set.of("name", "path", "repo", "chat_template", "max_in_flight", "queue_size", "embeddings", "defaults", "backend",
            "kv_cache_mb", "prefill_tokens"), AttachmentReader.MODEL_KEYS);
    private static final Set<String> PROVIDER = Set.of("name", "base_url", "api_key_env", "connect_timeout_ms", "first_byte_timeout_ms",
            "idle_timeout_ms", "deadline_ms", "retry", "breaker", "pass_extras");
    private static final Set<String> RETRY = Set.of("max_attempts", "initial_backoff_ms", "max_backoff_ms");
    private static final Set<String> BREAKER = Set.of("failure_rate_percent", "window", "minimum_calls", "consecutive_failures", "open_ms", "half_open_calls");
    private static final Set<String> ROUTE = union(Set.of("name", "targets", "fallback_after_ms", "max_retry_wait_ms"), AttachmentReader.ROUTE_KEYS);
    private static final Set<String> TARGET = Set.of("target", "max_tokens", "temperature");
    private static final Set<String> DEFAULTS = Set.of("max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty");

    private final Map<String, String> env;

    public ConfigLoader(Map<String, String> env) {
        this.env = env;
    }

    public ServerConfig load(Path file) {
        if (!Files.isRegularFile(file)) throw new ConfigException("configuration file not found: " + file);
        JsonNode root;
        try {
            root = YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + " is not valid YAML: " + firstLine(e.getMessage()));
        }
        if (root == null || root.isMissingNode() || root.isNull()) root = YAML.createObjectNode();
        if (!root.isObject()) throw new ConfigException(file + ": the top level must be a mapping with server, engine and models");
        Path base = file.toAbsolutePath().getParent();
        known(root, TOP, "");
        JsonNode server = object(root, "server", "server");
        JsonNode engine = object(root, "engine", "engine");
        known(server, SERVER, "server.");
        known(engine, ENGINE, "engine.");
        JsonNode logging = object(root, "logging", "logging");
        known(logging, LOGGING, "logging.");
        String logLevel = text(logging, "level", "logging.level", null);
        if (logLevel != null && LogLevelOption.parse(logLevel) == null) {
            throw new ConfigException("logging.level must be one of " + String.join(", ", LogLevelOption.LEVELS) + ", got '" + logLevel + "'");
        }
        Map<String, GuardProfile> profiles = GuardrailsConfigParser.parse(root.path("guardrails"));
        Map<String, GuardConfig.Attachment> attachments = new LinkedHashMap<>();
        Map<String, String> attachmentKeys = new LinkedHashMap<>();
        List<ModelConfig> models = new ArrayList<>();
        JsonNode list = list(root, "models");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            ModelConfig m = model(list.get(i), "models[" + i + "]", base);
            if (!names.add(m.name())) throw new ConfigException("models[" + i + "].name: '" + m.name() + "' is used twice");
            models.add(m);
            attach(list.get(i), "models[" + i + "]", m.name(), attachments, attachmentKeys);
        }
        List<ProviderConfig> providers = new ArrayList<>();
        JsonNode plist = list(root, "providers");
        for (int i = 0; i < plist.size(); i++) {
            ProviderConfig p = provider(plist.get(i), "providers[" + i + "]");
            if (p.name().equals(RouteConfig.Target.LOCAL)) throw new ConfigException("providers[" + i + "].name: 'local' is reserved for this server's own models");
            if (!names.add(p.name())) throw new ConfigException("providers[" + i + "].name: '" + p.name() + "' is already used by a model or provider");
            providers.add(p);
        }
        List<RouteConfig> routes = new ArrayList<>();
        JsonNode rlist = list(root, "routes");
        Set<String> localNames = new HashSet<>();
        models.forEach(m -> localNames.add(m.name()));
        Set<String> providerNames = new HashSet<>();
        providers.forEach(p -> providerNames.add(p.name()));
        for (int i = 0; i < rlist.size(); i++) {
            RouteConfig r = route(rlist.get(i), "routes[" + i + "]", localNames, providerNames);
            if (!names.add(r.name())) throw new ConfigException("routes[" + i + "].name: '" + r.name() + "' is already used by a model, provider or route");
            routes.add(r);
            attach(rlist.get(i), "routes[" + i + "]", r.name(), attachments, attachmentKeys);
        }
        Set<String> served = new HashSet<>(localNames);
        routes.forEach(r -> served.add(r.name()));
        AttachmentReader.check(profiles, attachments, attachmentKeys, served);
        ServerConfig c = new ServerConfig(
                text(server, "host", "server.host", ServerConfig.DEFAULT_HOST),
                integer(server, "port", "server.port", ServerConfig.DEFAULT_PORT, 0, 65535),
                strings(server, "api_keys", "server.api_keys"),
                integer(server, "max_body_bytes", "server.max_body_bytes", (int) ServerConfig.DEFAULT_MAX_BODY_BYTES, 1024, Integer.MAX_VALUE),
                integer(engine, "threads", "engine.threads", 0, 0, MAX_THREADS),
                integer(server, "request_timeout_seconds", "server.request_timeout_seconds", ServerConfig.DEFAULT_TIMEOUT_SECONDS, 0, 86400),
                models, providers, routes, HttpOptionsReader.read(server, names, models, routes), null, observe(root, models, routes),
                new GuardConfig(profiles, attachments));
        if (logLevel != null) c = c.withLogLevel(LogLevelOption.parse(logLevel));
        return applyEnvironment(c);
    }

    /** Defaults plus environment, for {@code serve --model DIR} without a file. */
    public ServerConfig defaults(List<ModelConfig> models) {
        return applyEnvironment(new ServerConfig(ServerConfig.DEFAULT_HOST, ServerConfig.DEFAULT_PORT, List.of(),
                ServerConfig.DEFAULT_MAX_BODY_BYTES, 0, ServerConfig.DEFAULT_TIMEOUT_SECONDS, models));
    }

    /** BACKSTOP_HOST, BACKSTOP_PORT, BACKSTOP_API_KEYS (comma-separated), BACKSTOP_MAX_BODY_BYTES, BACKSTOP_THREADS. */
    ServerConfig applyEnvironment(ServerConfig c) {
        String host = env.getOrDefault("BACKSTOP_HOST", c.host());
        int port = envInt("BACKSTOP_PORT", c.port(), 0, 65535);
        List<String> keys = env.containsKey("BACKSTOP_API_KEYS")
                ? Arrays.stream(env.get("BACKSTOP_API_KEYS").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()
                : c.apiKeys();
        long body = envInt("BACKSTOP_MAX_BODY_BYTES", (int) Math.min(Integer.MAX_VALUE, c.maxBodyBytes()), 1024, Integer.MAX_VALUE);
        int threads = envInt("BACKSTOP_THREADS", c.threads(), 0, MAX_THREADS);
        return new ServerConfig(host, port, keys, body, threads, c.requestTimeoutSeconds(), c.models(), c.providers(), c.routes(), c.http(), c.logLevel(),
                c.observe(), c.guardrails());
    }

    private int envInt(String name, int fallback, int min, int max) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return fallback;
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) throw new ConfigException(name + " must be between " + min + " and " + max + ", got " + v);
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be a whole number, got '" + v + "'");
        }
    }

    private static ModelConfig model(JsonNode n, String key, Path base) {
        if (!n.isObject()) throw new ConfigException(key + " must be a mapping with name and path");
        known(n, MODEL, key + ".");
        String name = text(n, "name", key + ".name", null);
        if (name == null || name.isBlank()) throw new ConfigException(key + ".name is required");
        String pathText = text(n, "path", key + ".path", null);
        if (pathText == null) throw new ConfigException(key + ".path is required (the model directory or GGUF file)");
        Path path = base.resolve(pathText).normalize();
        String repo = text(n, "repo", key + ".repo", null);
        if (repo == null && !Files.exists(path)) {
            throw new ConfigException(key + ".path: model does not exist: " + path + " (give a repo to download it from, or fix the path)");
        }
        String backend = text(n, "backend", key + ".backend", null);
        if (backend != null && !backend.equals("native") && !backend.equals("jlama")) {
            throw new ConfigException(key + ".backend must be native or jlama, got '" + backend + "'");
        }
        JsonNode d = object(n, "defaults", key + ".defaults");
        known(d, DEFAULTS, key + ".defaults.");
        RequestDefaults defaults = new RequestDefaults(
                optionalInt(d, "max_tokens", key + ".defaults.max_tokens", 1, Integer.MAX_VALUE),
                optionalDouble(d, "temperature", key + ".defaults.temperature", 0, 2),
                optionalDouble(d, "top_p", key + ".defaults.top_p", 0, 1),
                optionalInt(d, "top_k", key + ".defaults.top_k", 0, Integer.MAX_VALUE),
                optionalDouble(d, "min_p", key + ".defaults.min_p", 0, 1),
                optionalDouble(d, "repetition_penalty", key + ".defaults.repetition_penalty", 0, 10));
        JsonNode emb = n.path("embeddings");
        if (!emb.isMissingNode() && !emb.isBoolean()) throw new ConfigException(key + ".embeddings must be true or false");
        return new ModelConfig(name, path, repo, text(n, "chat_template", key + ".chat_template", null),
                integer(n, "max_in_flight", key + ".max_in_flight", 0, 1, MAX_IN_FLIGHT), // 0: the backend's default
                integer(n, "queue_size", key + ".queue_size", LoadOptions.DEFAULT_QUEUE_SIZE, 0, MAX_QUEUE_SIZE),
                emb.isMissingNode() || emb.asBoolean(), defaults, backend,
                integer(n, "kv_cache_mb", key + ".kv_cache_mb", 0, 0, MAX_KV_CACHE_MB),
                integer(n, "prefill_tokens", key + ".prefill_tokens", 0, 0, MAX_PREFILL_TOKENS));
    }

    private static JsonNode list(JsonNode root, String field) {
        JsonNode n = root.path(field);
        if (n.isMissingNode() || n.isNull()) return YAML.createArrayNode();
        if (!n.isArray()) throw new ConfigException(field + " must be a list");
        return n;
    }

    private static ProviderConfig provider(JsonNode n, String key) {
        if (!n.isObject()) throw new ConfigException(key + " must be a mapping with name and base_url");
        known(n, PROVIDER, key + ".");
        String name = text(n, "name", key + ".name", null);
        if (name == null || name.isBlank()) throw new ConfigException(key + ".name is required");
        String url = text(n, "base_url", key + ".base_url", null);
        if (url == null) throw new ConfigException(key + ".base_url is required (e.g. https://api.openai.com/v1)");
        java.net.URI uri;
        try {
            uri = java.net.URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ".base_url is not a URL: " + url);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) throw new ConfigException(key + ".base_url must start with http:// or https://");
        String keyEnv = text(n, "api_key_env", key + ".api_key_env", null);
        if (keyEnv != null && !keyEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new ConfigException(key + ".api_key_env must name an environment variable (the key itself never goes in this file)");
        }
        JsonNode r = object(n, "retry", key + ".retry");
        known(r, RETRY, key + ".retry.");
        ProviderConfig.RetryPolicy rd = ProviderConfig.RetryPolicy.defaults();
        ProviderConfig.RetryPolicy retry = new ProviderConfig.RetryPolicy(
                integer(r, "max_attempts", key + ".retry.max_attempts", rd.maxAttempts(), 1, 20),
                millis(r, "initial_backoff_ms", key + ".retry.initial_backoff_ms", rd.initialBackoff()),
                millis(r, "max_backoff_ms", key + ".retry.max_backoff_ms", rd.maxBackoff()));
        JsonNode b = object(n, "breaker", key + ".breaker");
        known(b, BREAKER, key + ".breaker.");
        ProviderConfig.BreakerPolicy bd = ProviderConfig.BreakerPolicy.defaults();
        ProviderConfig.BreakerPolicy breaker = new ProviderConfig.BreakerPolicy(
                integer(b, "failure_rate_percent", key + ".breaker.failure_rate_percent", bd.failureRatePercent(), 1, 100),
                integer(b, "window", key + ".breaker.window", bd.window(), 1, 10_000),
                integer(b, "minimum_calls", key + ".breaker.minimum_calls", bd.minimumCalls(), 1, 10_000),
                integer(b, "consecutive_failures", key + ".breaker.consecutive_failures", bd.consecutiveFailures(), 1, 10_000),
                millis(b, "open_ms", key + ".breaker.open_ms", bd.openFor()),
                integer(b, "half_open_calls", key + ".breaker.half_open_calls", bd.halfOpenCalls(), 1, 1000));
        ProviderConfig d = ProviderConfig.of(name, uri, keyEnv);
        JsonNode extras = n.path("pass_extras");
        if (!extras.isMissingNode() && !extras.isBoolean()) throw new ConfigException(key + ".pass_extras must be true or false");
        return new ProviderConfig(name, uri, keyEnv,
                millis(n, "connect_timeout_ms", key + ".connect_timeout_ms", d.connectTimeout()),
                millis(n, "first_byte_timeout_ms", key + ".first_byte_timeout_ms", d.firstByteTimeout()),
                millis(n, "idle_timeout_ms", key + ".idle_timeout_ms", d.idleTimeout()),
                millis(n, "deadline_ms", key + ".deadline_ms", d.deadline()),
                retry, breaker, extras.asBoolean(false));
    }

    private static java.time.Duration millis(JsonNode n, String field, String key, java.time.Duration fallback) {
        Integer v = optionalInt(n, field, key, 1, 24 * 3600 * 1000);
        return v == null ? fallback : java.time.Duration.ofMillis(v);
    }

    /** Targets are "provider:model" (or "local:model"), as a string or as {target: …, max_tokens, temperature}. */
    private static RouteConfig route(JsonNode n, String key, Set<String> localModels, Set<String> providers) {
        if (!n.isObject()) throw new ConfigException(key + " must be a mapping with name and targets");
        known(n, ROUTE, key + ".");
        String name = text(n, "name", key + ".name", null);
        if (name == null || name.isBlank()) throw new ConfigException(key + ".name is required");
        JsonNode ts = n.path("targets");
        if (!ts.isArray() || ts.isEmpty()) throw new ConfigException(key + ".targets must be a non-empty list of provider:model");
        List<RouteConfig.Target> targets = new ArrayList<>();
        for (int j = 0; j < ts.size(); j++) {
            String tk = key + ".targets[" + j + "]";
            JsonNode t = ts.get(j);
            String spec;
            Integer maxTokens = null;
            Double temperature = null;
            if (t.isTextual()) {
                spec = t.asText();
            } else if (t.isObject()) {
                known(t, TARGET, tk + ".");
                spec = text(t, "target", tk + ".target", null);
                if (spec == null) throw new ConfigException(tk + ".target is required (provider:model)");
                maxTokens = optionalInt(t, "max_tokens", tk + ".max_tokens", 1, Integer.MAX_VALUE);
                temperature = optionalDouble(t, "temperature", tk + ".temperature", 0, 2);
            } else {
                throw new ConfigException(tk + " must be 'provider:model' or a mapping with target");
            }
            int colon = spec.indexOf(':');
            if (colon <= 0 || colon == spec.length() - 1) throw new ConfigException(tk + ": '" + spec + "' must be provider:model (e.g. openai:gpt-4o-mini or local:" + (localModels.isEmpty() ? "NAME" : localModels.iterator().next()) + ")");
            String provider = spec.substring(0, colon);
            String model = spec.substring(colon + 1);
            if (provider.equals(RouteConfig.Target.LOCAL)) {
                if (!localModels.contains(model)) throw new ConfigException(tk + ": unknown local model '" + model + "' (models: " + String.join(", ", new java.util.TreeSet<>(localModels)) + ")");
            } else if (!providers.contains(provider)) {
                throw new ConfigException(tk + ": unknown provider '" + provider + "' (providers: " + String.join(", ", new java.util.TreeSet<>(providers)) + ")");
            }
            targets.add(new RouteConfig.Target(provider, model, maxTokens, temperature));
        }
        // fallback_after_ms: 0 turns hedging off
        Integer hedge = optionalInt(n, "fallback_after_ms", key + ".fallback_after_ms", 0, 24 * 3600 * 1000);
        java.time.Duration fallbackAfter = hedge == null ? RouteConfig.defaultFallbackAfter(targets) : java.time.Duration.ofMillis(hedge);
        Integer wait = optionalInt(n, "max_retry_wait_ms", key + ".max_retry_wait_ms", 0, 24 * 3600 * 1000);
        return new RouteConfig(name, targets, fallbackAfter, wait == null ? RouteConfig.DEFAULT_MAX_RETRY_WAIT : java.time.Duration.ofMillis(wait));
    }

    private static void attach(JsonNode n, String key, String name, Map<String, GuardConfig.Attachment> into, Map<String, String> keys) {
        GuardConfig.Attachment a = AttachmentReader.read(n, key);
        if (a == null) return;
        into.put(name, a);
        keys.put(name, key);
    }

    /** The observability sections, checked against the routes' targets and the names that can answer. */
    private static ObserveConfig observe(JsonNode root, List<ModelConfig> models, List<RouteConfig> routes) {
        Set<String> targets = new HashSet<>();
        Set<String> answerers = new HashSet<>();
        models.forEach(m -> answerers.add(m.name()));
        for (RouteConfig r : routes) {
            answerers.add(r.name());
            r.targets().forEach(t -> targets.add(t.label()));
        }
        return ObserveConfigParser.parse(root, targets, answerers);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    private static void known(JsonNode n, Set<String> keys, String prefix) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) throw new ConfigException("unknown key '" + prefix + k + "' (known: " + String.join(", ", new java.util.TreeSet<>(keys)) + ")");
        }
    }

    static JsonNode object(JsonNode parent, String field, String key) {
        JsonNode n = parent.path(field);
        if (n.isMissingNode() || n.isNull()) return YAML.createObjectNode();
        if (!n.isObject()) throw new ConfigException(key + " must be a mapping");
        return n;
    }

    static String text(JsonNode n, String field, String key, String fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return fallback;
        if (!v.isTextual() && !v.isNumber()) throw new ConfigException(key + " must be a string");
        return v.asText();
    }

    static int integer(JsonNode n, String field, String key, int fallback, int min, int max) {
        Integer v = optionalInt(n, field, key, min, max);
        return v == null ? fallback : v;
    }

    static Integer optionalInt(JsonNode n, String field, String key, int min, int max) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return null;
        if (!v.isIntegralNumber()) throw new ConfigException(key + " must be a whole number, got " + v);
        long l = v.asLong();
        if (l < min || l > max) throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + l);
        return (int) l;
    }

    private static Double optionalDouble(JsonNode n, String field, String key, double min, double max) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return null;
        if (!v.isNumber()) throw new ConfigException(key + " must be a number, got " + v);
        double d = v.asDouble();
        if (d < min || d > max) throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + d);
        return d;
    }

    static List<String> strings(JsonNode n, String field, String key) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return List.of();
        if (!v.isArray()) throw new ConfigException(key + " must be a list of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || e.asText().isBlank()) throw new ConfigException(key + " must contain non-empty strings");
            out.add(e.asText());
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
