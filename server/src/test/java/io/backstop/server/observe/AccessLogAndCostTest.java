package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** One JSON access-log line per request, and the cost of each answer (price table, local CPU-hour price). */
class AccessLogAndCostTest extends ObservedServerFixture {

    @Test
    void aRemoteAnswerIsLoggedWithIdsTokensTimingsAndCostAndNoText() throws Exception {
        Reply r = chat("smart", false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Cost-USD")).isEqualTo("0.000056"); // 3 × $2/M + 5 × $10/M

        JsonNode line = accessLines(1).get(0);
        assertThat(line.get("event").asText()).isEqualTo("request");
        assertThat(line.get("request_id").asText()).isEqualTo(r.header("X-Request-Id"));
        assertThat(line.get("trace_id").asText()).hasSize(32);
        assertThat(line.get("route").asText()).isEqualTo("smart");
        assertThat(line.get("target").asText()).isEqualTo("up:gpt-x");
        assertThat(line.get("provider").asText()).isEqualTo("up");
        assertThat(line.get("model").asText()).isEqualTo("gpt-x");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("outcome").asText()).isEqualTo("ok");
        assertThat(line.get("tokens_in").asInt()).isEqualTo(3);
        assertThat(line.get("tokens_out").asInt()).isEqualTo(5);
        assertThat(line.get("cost_usd").asDouble()).isCloseTo(0.000056, Offset.offset(1e-12));
        assertThat(line.get("duration_ms").asDouble()).isPositive();
        assertThat(line.has("ttft_ms")).isTrue();
        assertThat(line.get("fallback_chain")).hasSize(1);
        assertThat(line.has("prompt")).isFalse();
        assertThat(line.has("answer")).isFalse();
        assertThat(line.toString()).doesNotContain("Lily").doesNotContain("remote model");
    }

    @Test
    void aStreamIsCostedFromTheUsageTheServerAsksTheProviderFor() throws Exception {
        Reply plain = chat("smart", true);
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.body()).doesNotContain("\"usage\""); // the client did not ask for usage: it does not get the event
        assertThat(upstream.calls().get(0).body().at("/stream_options/include_usage").asBoolean()).isTrue();
        JsonNode line = accessLines(1).get(0);
        assertThat(line.get("tokens_out").asInt()).isEqualTo(5);
        assertThat(line.get("cost_usd").asDouble()).isCloseTo(0.000056, Offset.offset(1e-12));

        String withUsage = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true}}";
        var r = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/v1/chat/completions"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(withUsage)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        String usageEvent = List.of(r.body().split("\n\n")).stream().filter(e -> e.contains("\"usage\"")).findFirst().orElseThrow();
        JsonNode usage = JSON.readTree(usageEvent.substring("data: ".length())).get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("cost_usd").asDouble()).isCloseTo(0.000056, Offset.offset(1e-12));
    }

    @Test
    void aFallbackLogsTheWholeChainAndALocalAnswerCostsItsCpuTime() throws Exception {
        Reply r = chat("resilient", false);
        assertThat(r.status()).isEqualTo(200);
        JsonNode line = accessLines(1).get(0);
        assertThat(line.get("outcome").asText()).isEqualTo("fallback");
        assertThat(line.get("target").asText()).isEqualTo("local:stories");
        JsonNode chain = line.get("fallback_chain");
        assertThat(chain).hasSize(2);
        assertThat(chain.get(0).get("target").asText()).isEqualTo("down:gpt-y");
        assertThat(chain.get(0).get("result").asText()).isEqualTo("failed");
        assertThat(chain.get(0).get("error_type").asText()).isEqualTo("connection_error");
        assertThat(chain.get(1).get("result").asText()).isEqualTo("answered");
        assertThat(line.get("tokens_out").asInt()).isEqualTo(12);
        // local cost: busy time × threads × $0.36 per CPU-hour; positive, and what the header said
        double cost = line.get("cost_usd").asDouble();
        assertThat(cost).isPositive();
        assertThat(Double.parseDouble(r.header("X-Backstop-Cost-USD"))).isCloseTo(cost, Offset.offset(1e-9));
    }

    @Test
    void refusedRequestsAreLoggedWithTheirErrorType() throws Exception {
        assertThat(chat("no-such-model", false).status()).isEqualTo(404);
        JsonNode line = accessLines(1).get(0);
        assertThat(line.get("status").asInt()).isEqualTo(404);
        assertThat(line.get("error_type").asText()).isEqualTo("model_not_found");
        assertThat(line.has("route")).isFalse(); // an unknown name is not echoed as a route
    }
}
