package io.backstop.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path tmp;

    private Path write(String yaml) throws IOException {
        Files.createDirectories(tmp.resolve("m1"));
        Path f = tmp.resolve("backstop.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void loggingLevelIsReadAndChecked() throws IOException {
        assertThat(new ConfigLoader(Map.of()).load(write("logging:\n  level: DEBUG\nmodels: [{name: m, path: m1}]\n")).logLevel()).isEqualTo("debug");
        assertThat(new ConfigLoader(Map.of()).load(write("models: [{name: m, path: m1}]\n")).logLevel()).isNull();
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write("logging:\n  level: loud\nmodels: []\n")))
                .hasMessage("logging.level must be one of off, error, warn, info, debug, trace, got 'loud'");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write("logging:\n  file: x.log\nmodels: []\n")))
                .hasMessageContaining("unknown key 'logging.file'");
    }

    @Test
    void readsEveryKeyAndResolvesPathsAgainstTheFile() throws IOException {
        Path f = write("""
                server:
                  host: 0.0.0.0
                  port: 9000
                  api_keys: [a, b]
                  max_body_bytes: 2048
                  request_timeout_seconds: 30
                engine:
                  threads: 3
                models:
                  - name: m
                    path: m1
                    chat_template: raw
                    max_in_flight: 1
                    queue_size: 4
                    embeddings: false
                    defaults: {max_tokens: 9, temperature: 0.5, top_p: 0.9, top_k: 40, min_p: 0.05, repetition_penalty: 1.1}
                """);
        ServerConfig c = new ConfigLoader(Map.of()).load(f);
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.apiKeys()).containsExactly("a", "b");
        assertThat(c.maxBodyBytes()).isEqualTo(2048);
        assertThat(c.requestTimeoutSeconds()).isEqualTo(30);
        assertThat(c.threads()).isEqualTo(3);
        ModelConfig m = c.models().get(0);
        assertThat(m.path()).isEqualTo(tmp.resolve("m1"));
        assertThat(m.chatTemplate()).isEqualTo("raw");
        assertThat(m.maxInFlight()).isEqualTo(1);
        assertThat(m.queueSize()).isEqualTo(4);
        assertThat(m.embeddings()).isFalse();
        assertThat(m.defaults()).isEqualTo(new RequestDefaults(9, 0.5, 0.9, 40, 0.05, 1.1));
    }

    @Test
    void defaultsAreSafe() throws IOException {
        ServerConfig c = new ConfigLoader(Map.of()).load(write("models:\n  - {name: m, path: m1}\n"));
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.apiKeys()).isEmpty();
        assertThat(c.maxBodyBytes()).isEqualTo(1024 * 1024);
        assertThat(c.models().get(0).embeddings()).isTrue();
    }

    @Test
    void environmentOverridesTheFile() throws IOException {
        Path f = write("server: {port: 9000, api_keys: [a]}\nmodels:\n  - {name: m, path: m1}\n");
        ServerConfig c = new ConfigLoader(Map.of("BACKSTOP_PORT", "9100", "BACKSTOP_API_KEYS", "x, y", "BACKSTOP_HOST", "::1")).load(f);
        assertThat(c.port()).isEqualTo(9100);
        assertThat(c.apiKeys()).containsExactly("x", "y");
        assertThat(c.host()).isEqualTo("::1");
        assertThatThrownBy(() -> new ConfigLoader(Map.of("BACKSTOP_PORT", "http")).load(f))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BACKSTOP_PORT");
    }

    @Test
    void invalidFilesFailNamingTheKey() throws IOException {
        record Case(String yaml, String message) {}
        List<Case> cases = List.of(
                new Case("server: {prot: 1}\n", "unknown key 'server.prot'"),
                new Case("server: {port: high}\n", "server.port must be a whole number"),
                new Case("server: {port: 70000}\n", "server.port must be between 0 and 65535"),
                new Case("models:\n  - {name: m}\n", "models[0].path is required"),
                new Case("models:\n  - {name: m, path: nowhere}\n", "models[0].path: model does not exist"),
                new Case("models:\n  - {name: m, path: m1, defaults: {temperature: 7}}\n", "models[0].defaults.temperature must be between"),
                new Case("models:\n  - {name: m, path: m1, colour: red}\n", "unknown key 'models[0].colour'"),
                new Case("models:\n  - {name: m, path: m1}\n  - {name: m, path: m1}\n", "models[1].name: 'm' is used twice"),
                new Case("models: {name: m}\n", "models must be a list"),
                new Case("server: [1, 2]\n", "server must be a mapping"),
                new Case("server: {port: 1\n", "is not valid YAML"));
        for (Case c : cases) {
            Path f = write(c.yaml());
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f)).as(c.yaml())
                    .isInstanceOf(ConfigException.class).hasMessageContaining(c.message());
        }
    }

    @Test
    void providersAndRoutesAreReadAndValidated() throws IOException {
        Path f = write("""
                models:
                  - {name: stories, path: m1}
                providers:
                  - name: deepseek
                    base_url: https://api.deepseek.com/v1/
                    api_key_env: DEEPSEEK_API_KEY
                    connect_timeout_ms: 1000
                    first_byte_timeout_ms: 5000
                    idle_timeout_ms: 7000
                    deadline_ms: 20000
                    retry: {max_attempts: 4, initial_backoff_ms: 100, max_backoff_ms: 900}
                    breaker: {failure_rate_percent: 40, window: 10, minimum_calls: 5, consecutive_failures: 3, open_ms: 9000, half_open_calls: 2}
                routes:
                  - name: smart
                    targets:
                      - deepseek:deepseek-chat
                      - {target: deepseek:deepseek-reasoner, max_tokens: 100, temperature: 0.2}
                      - local:stories
                """);
        ServerConfig c = new ConfigLoader(Map.of()).load(f);
        ProviderConfig p = c.providers().get(0);
        assertThat(p.baseUrl().toString()).isEqualTo("https://api.deepseek.com/v1");
        assertThat(p.apiKeyEnv()).isEqualTo("DEEPSEEK_API_KEY");
        assertThat(p.idleTimeout().toMillis()).isEqualTo(7000);
        assertThat(p.retry().maxAttempts()).isEqualTo(4);
        assertThat(p.breaker().consecutiveFailures()).isEqualTo(3);
        RouteConfig r = c.routes().get(0);
        assertThat(r.targets()).extracting(RouteConfig.Target::label).containsExactly("deepseek:deepseek-chat", "deepseek:deepseek-reasoner", "local:stories");
        assertThat(r.targets().get(1).maxTokens()).isEqualTo(100);
        assertThat(r.targets().get(2).isLocal()).isTrue();
    }

    @Test
    void hedgingIsOnByDefaultOnlyForRoutesEndingWithALocalModelAndBothWaitsAreConfigurable() throws IOException {
        Path f = write("""
                models:
                  - {name: stories, path: m1}
                providers:
                  - {name: openai, base_url: https://api.openai.com/v1}
                  - {name: deepseek, base_url: https://api.deepseek.com/v1}
                routes:
                  - {name: backed, targets: [openai:gpt-4o-mini, local:stories]}
                  - {name: remote, targets: [openai:gpt-4o-mini, deepseek:deepseek-chat]}
                  - {name: tuned, targets: [openai:gpt-4o-mini, local:stories], fallback_after_ms: 800, max_retry_wait_ms: 3000}
                  - {name: unhedged, targets: [openai:gpt-4o-mini, local:stories], fallback_after_ms: 0}
                  - {name: hedged-remote, targets: [openai:gpt-4o-mini, deepseek:deepseek-chat], fallback_after_ms: 5000}
                """);
        Map<String, RouteConfig> routes = new java.util.HashMap<>();
        new ConfigLoader(Map.of()).load(f).routes().forEach(r -> routes.put(r.name(), r));
        assertThat(routes.get("backed").fallbackAfter()).isEqualTo(java.time.Duration.ofMillis(2000));
        assertThat(routes.get("backed").maxRetryWait()).isEqualTo(java.time.Duration.ofMillis(500));
        assertThat(routes.get("remote").fallbackAfter()).as("two paid calls are the user's choice").isNull();
        assertThat(routes.get("tuned").fallbackAfter()).isEqualTo(java.time.Duration.ofMillis(800));
        assertThat(routes.get("tuned").maxRetryWait()).isEqualTo(java.time.Duration.ofMillis(3000));
        assertThat(routes.get("unhedged").fallbackAfter()).isNull();
        assertThat(routes.get("hedged-remote").fallbackAfter()).isEqualTo(java.time.Duration.ofMillis(5000));

        Path bad = write("models:\n  - {name: stories, path: m1}\nroutes:\n  - {name: r, targets: [local:stories], fallback_after_ms: -5}\n");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("routes[0].fallback_after_ms must be between 0 and");
    }

    @Test
    void routesNamingUnknownProvidersOrModelsFailAtStartUp() throws IOException {
        String providers = "models:\n  - {name: stories, path: m1}\nproviders:\n  - {name: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY}\n";
        record Case(String routes, String message) {}
        for (Case c : List.of(
                new Case("routes:\n  - {name: r, targets: [deepseek:chat]}\n", "routes[0].targets[0]: unknown provider 'deepseek'"),
                new Case("routes:\n  - {name: r, targets: [local:llama]}\n", "routes[0].targets[0]: unknown local model 'llama'"),
                new Case("routes:\n  - {name: r, targets: [gpt-4o]}\n", "must be provider:model"),
                new Case("routes:\n  - {name: r, targets: []}\n", "routes[0].targets must be a non-empty list"),
                new Case("routes:\n  - {name: stories, targets: [openai:gpt-4o]}\n", "'stories' is already used"))) {
            Path f = write(providers + c.routes());
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f)).as(c.routes())
                    .isInstanceOf(ConfigException.class).hasMessageContaining(c.message());
        }
        Path keyInFile = write("providers:\n  - {name: x, base_url: https://x.example/v1, api_key_env: sk-123456}\n");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(keyInFile)).hasMessageContaining("must name an environment variable");
    }

    @Test
    void aProviderWhoseKeyVariableIsUnsetFailsAtStartUpNamingTheVariable() {
        var p = ProviderConfig.of("openai", java.net.URI.create("https://api.openai.com/v1"), "OPENAI_API_KEY");
        assertThatThrownBy(() -> new io.backstop.server.route.RouteTable(List.of(p), List.of(), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("OPENAI_API_KEY").hasMessageContaining("openai");
    }

    @Test
    void theShippedConfigurationsAreValid() {
        Path models = Path.of(System.getProperty("backstop.root", "..")).resolve("models");
        ServerConfig c = new ConfigLoader(Map.of()).load(models.resolve("backstop.yaml"));
        assertThat(c.models()).singleElement().satisfies(m -> assertThat(m.repo()).isEqualTo("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M"));
        ServerConfig example = new ConfigLoader(Map.of()).load(models.resolve("example.yaml"));
        assertThat(example.models()).hasSize(2);
        assertThat(example.providers()).hasSize(2);
        assertThat(example.routes()).extracting(RouteConfig::name).containsExactly("smart", "cheap");
    }

    @Test
    void serverLimitsCorsAndAliasesAreReadAndValidated() throws IOException {
        Path f = write("""
                server:
                  header_timeout_seconds: 5
                  body_timeout_seconds: 20
                  max_connections_per_client: 16
                  drain_timeout_seconds: 45
                  max_embedding_inputs: 8
                  max_embedding_tokens: 4096
                  cors_origins: ["https://app.example.com/", "http://localhost:3000"]
                  model_aliases: {gpt-4o-mini: m, fast: r}
                models:
                  - {name: m, path: m1}
                routes:
                  - {name: r, targets: [local:m]}
                """);
        HttpOptions h = new ConfigLoader(Map.of()).load(f).http();
        assertThat(h).isEqualTo(new HttpOptions(5, 20, 16, 45, 8, 4096, List.of("https://app.example.com", "http://localhost:3000"),
                Map.of("gpt-4o-mini", "m", "fast", "r")));
        HttpOptions d = new ConfigLoader(Map.of()).load(write("models:\n  - {name: m, path: m1}\n")).http();
        assertThat(d).isEqualTo(HttpOptions.defaults());
        assertThat(d.drainTimeoutSeconds()).isEqualTo(30);
        assertThat(d.corsOrigins()).isEmpty();

        record Case(String server, String message) {}
        for (Case c : List.of(
                new Case("{body_timeout_seconds: 0}", "server.body_timeout_seconds must be between 1 and 3600"),
                new Case("{max_connections_per_client: -1}", "server.max_connections_per_client must be between 0"),
                new Case("{drain_timeout_seconds: soon}", "server.drain_timeout_seconds must be a whole number"),
                new Case("{cors_origins: \"*\"}", "server.cors_origins must be a list"),
                new Case("{cors_origins: [\"app.example.com\"]}", "'app.example.com' is not an origin"),
                new Case("{cors_origins: [\"https://app.example.com/path\"]}", "is not an origin"),
                new Case("{model_aliases: [a]}", "server.model_aliases must be a mapping"),
                new Case("{model_aliases: {gpt-4o: nothing}}", "server.model_aliases.gpt-4o: unknown model or route 'nothing' (known: m)"),
                new Case("{model_aliases: {m: m}}", "'m' is already the name of a model, provider or route"))) {
            Path bad = write("server: " + c.server() + "\nmodels:\n  - {name: m, path: m1}\n");
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(bad)).as(c.server())
                    .isInstanceOf(ConfigException.class).hasMessageContaining(c.message());
        }
    }

    @Test
    void aModelMayBeAGgufFileWithItsBackendNamed() throws IOException {
        java.nio.file.Files.writeString(tmp.resolve("m.gguf"), "GGUF");
        ServerConfig c = new ConfigLoader(Map.of()).load(write("models:\n  - {name: m, path: m.gguf, backend: native}\n  - {name: j, path: m1, backend: jlama}\n"));
        assertThat(c.models().get(0).path()).isEqualTo(tmp.resolve("m.gguf"));
        assertThat(c.models().get(0).backend()).isEqualTo("native");
        assertThat(c.models().get(1).backend()).isEqualTo("jlama");
        assertThat(new ConfigLoader(Map.of()).load(write("models:\n  - {name: m, path: m1}\n")).models().get(0).backend()).isNull();
        Path bad = write("models:\n  - {name: m, path: m1, backend: llamacpp}\n");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(bad)).hasMessage("models[0].backend must be native or jlama, got 'llamacpp'");
    }
}
