package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.server.TestServer;
import io.backstop.server.config.ConfigException;
import io.backstop.server.config.ConfigLoader;
import io.backstop.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The observability sections of the configuration, and who may read /metrics. */
class ObserveConfigTest {
    @TempDir
    Path dir;

    private ServerConfig load(String yaml) throws Exception {
        Files.createDirectories(dir.resolve("m"));
        Path f = dir.resolve("backstop.yaml");
        Files.writeString(f, """
                models: [{name: stories, path: m}]
                providers: [{name: openai, base_url: "https://api.openai.com/v1"}]
                routes: [{name: smart, targets: ["openai:gpt-4o-mini", "local:stories"]}]
                """ + yaml);
        return new ConfigLoader(Map.of()).load(f);
    }

    @Test
    void everyKeyIsReadWithItsDefaultWhenLeftOut() throws Exception {
        ObserveConfig d = load("").observe();
        assertThat(d.metrics().enabled()).isTrue();
        assertThat(d.metrics().auth()).isEqualTo(ObserveConfig.MetricsAuth.AUTO);
        assertThat(d.tracing()).isFalse();
        assertThat(d.accessLog().target()).isEqualTo("stdout");
        assertThat(d.accessLog().logContent()).isFalse();
        assertThat(d.dashboard()).isTrue();
        assertThat(d.judging().routes()).isEmpty();

        ObserveConfig o = load("""
                metrics: {enabled: false, auth: api_key}
                tracing: {enabled: true}
                dashboard: {enabled: false}
                logging: {access_log: off, log_content: true, level: info}
                pricing:
                  local_cpu_hour_usd: 0.04
                  models: {"openai:gpt-4o-mini": {input_per_million: 0.15, output_per_million: 0.6, cached_input_per_million: 0.075}}
                judging:
                  queue_size: 8
                  workers: 2
                  routes: {smart: {judge: stories, sample_rate: 0.5, rubric: "Be correct", max_tokens: 64}}
                """).observe();
        assertThat(o.metrics()).isEqualTo(new ObserveConfig.MetricsOptions(false, ObserveConfig.MetricsAuth.API_KEY));
        assertThat(o.tracing()).isTrue();
        assertThat(o.dashboard()).isFalse();
        assertThat(o.accessLog().enabled()).isFalse();
        assertThat(o.accessLog().logContent()).isTrue();
        assertThat(o.pricing().localCpuHourUsd()).isEqualTo(0.04);
        assertThat(o.pricing().price("openai", "gpt-4o-mini").cachedInputPerMillion()).isEqualTo(0.075);
        assertThat(o.judging().queueSize()).isEqualTo(8);
        assertThat(o.judging().routes().get("smart")).isEqualTo(new io.backstop.server.observe.judge.JudgingConfig.RouteJudge("stories", 0.5, "Be correct", 64));
    }

    @Test
    void mistakesStopStartUpWithTheKeyNamed() {
        assertThatThrownBy(() -> load("metrics: {colour: red}\n")).isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'metrics.colour'");
        assertThatThrownBy(() -> load("metrics: {auth: sometimes}\n")).hasMessageContaining("metrics.auth must be auto, none or api_key");
        assertThatThrownBy(() -> load("pricing: {models: {\"openai:gpt-5\": {input_per_million: 1, output_per_million: 2}}}\n"))
                .hasMessageContaining("pricing.models.openai:gpt-5: no route has the target 'openai:gpt-5'");
        assertThatThrownBy(() -> load("pricing: {models: {\"openai:gpt-4o-mini\": {input_per_million: 1}}}\n"))
                .hasMessageContaining("needs input_per_million and output_per_million");
        assertThatThrownBy(() -> load("pricing: {local_cpu_hour_usd: -1}\n")).hasMessageContaining("pricing.local_cpu_hour_usd must be between 0");
        assertThatThrownBy(() -> load("judging: {routes: {smart: {judge: nobody, rubric: r}}}\n"))
                .hasMessageContaining("judging.routes.smart.judge: no route or model is named 'nobody'");
        assertThatThrownBy(() -> load("judging: {routes: {smart: {judge: stories}}}\n")).hasMessageContaining("judging.routes.smart.rubric is required");
        assertThatThrownBy(() -> load("judging: {routes: {smart: {judge: stories, rubric: r, sample_rate: 2}}}\n"))
                .hasMessageContaining("judging.routes.smart.sample_rate must be between 0 and 1");
        assertThatThrownBy(() -> load("logging: {access_log: \"\"}\n")).hasMessageContaining("logging.access_log must be");
    }

    @Test
    void metricsNeedTheApiKeyOnlyWhenConfiguredTo() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (var auth : ObserveConfig.MetricsAuth.values()) {
            try (TestServer s = TestServer.start(c -> c.withApiKeys(List.of("sk-1")).withObserve(ObserveConfig.defaults()
                    .withMetrics(new ObserveConfig.MetricsOptions(true, auth))
                    .withAccessLog(new ObserveConfig.AccessLogOptions(ObserveConfig.AccessLogOptions.OFF, false))))) {
                int anonymous = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                int keyed = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/metrics")).header("Authorization", "Bearer sk-1").build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                int page = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                // the test server listens on 127.0.0.1: auto leaves /metrics open there
                assertThat(anonymous).as(auth.name()).isEqualTo(auth == ObserveConfig.MetricsAuth.API_KEY ? 401 : 200);
                assertThat(keyed).as(auth.name()).isEqualTo(200);
                assertThat(page).as("the dashboard's page").isEqualTo(200);
            }
        }
    }

    @Test
    void withMetricsOffThereIsNoMetricsEndpoint() throws Exception {
        try (TestServer s = TestServer.start(c -> c.withObserve(ObserveConfig.off()))) {
            var r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).contains("\"error\"");
        }
    }
}
