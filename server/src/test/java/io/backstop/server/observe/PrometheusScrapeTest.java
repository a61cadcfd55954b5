package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.TestServer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus (Debian's {@code prometheus} package; {@code .ci/run} installs it) scrapes the real
 * server's {@code /metrics} on loopback; the test asks Prometheus' HTTP API for our series.
 */
class PrometheusScrapeTest extends ObservedServerFixture {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");

    @Test
    void prometheusScrapesTheGenAiAndRoutingSeries() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "prometheus (Debian's prometheus package) is not installed");
        assertThat(chat("smart", false).status()).isEqualTo(200);
        assertThat(chat("resilient", false).status()).isEqualTo(200);
        accessLines(2); // both requests are finished, so counted

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI target = URI.create(server.baseUrl());
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: backstop
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(target.getPort()));
        Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
            JsonNode requests = awaitSeries(api, "backstop_requests_total{route=\"smart\",target=\"up:gpt-x\",outcome=\"ok\"}");
            assertThat(requests.at("/value/1").asText()).isEqualTo("1");
            JsonNode fallbacks = awaitSeries(api, "backstop_fallbacks_total{from=\"down:gpt-y\",to=\"local:stories\"}");
            assertThat(fallbacks.at("/value/1").asText()).isEqualTo("1");
            JsonNode tokens = awaitSeries(api, "gen_ai_client_token_usage_sum{gen_ai_token_type=\"output\",gen_ai_provider_name=\"up\"}");
            assertThat(tokens.at("/value/1").asText()).isEqualTo("5");
            assertThat(awaitSeries(api, "up{job=\"backstop\"}").at("/value/1").asText()).isEqualTo("1");
            // a histogram Prometheus can compute a quantile over
            assertThat(awaitSeries(api, "histogram_quantile(0.5, sum by (le) (gen_ai_server_request_duration_seconds_bucket))").at("/value/1").asText())
                    .isNotEqualTo("NaN");
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) prometheus.destroyForcibly();
        }
    }

    /** The first result of an instant query once Prometheus has scraped it (scrapes every second; a minute at most). */
    private JsonNode awaitSeries(String api, String query) throws Exception {
        URI uri = URI.create(api + URLEncoder.encode(query, StandardCharsets.UTF_8));
        JsonNode[] found = new JsonNode[1];
        TestServer.awaitState(() -> {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) return false;
                JsonNode result = JSON.readTree(r.body()).at("/data/result");
                if (result.isEmpty()) return false;
                found[0] = result.get(0);
                return true;
            } catch (java.io.IOException e) {
                return false; // Prometheus is still starting
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }, "Prometheus to have " + query);
        return found[0];
    }
}
