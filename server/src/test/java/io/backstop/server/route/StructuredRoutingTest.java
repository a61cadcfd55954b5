package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.route.FaultyUpstream.Fault;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Response formats and tools on a route: a remote target gets them exactly as the client sent them (even
 * a schema only the provider understands), and the local fallback enforces them itself.
 */
class StructuredRoutingTest extends RoutedServerFixture {
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"not\":{\"const\":\"b\"}}}}";
    private static final String FIELDS = ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"strict\":true,\"schema\":" + SCHEMA
            + "}},\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"auto\","
            + "\"parallel_tool_calls\":false";

    private Reply post(String body) throws Exception {
        return reply(HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static String chat(String model, String fields) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":12,\"temperature\":0" + fields + "}";
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRemoteTargetGetsTheFieldsUnchanged(boolean stream) throws Exception {
        upstream.answering("{\"a\":", "\"c\"}"); // inside the schema (the keyword 'not' is the provider's to enforce; the answer is still checked)
        String fields = FIELDS + ",\"stream\":" + stream;
        Reply r = post(chat("remote-only", fields));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("up");
        JsonNode sent = upstream.calls().get(0).body();
        JsonNode asked = JSON.readTree(chat("remote-only", fields));
        for (String field : new String[] {"response_format", "tools", "tool_choice", "parallel_tool_calls"}) {
            assertThat(sent.get(field)).as(field).isEqualTo(asked.get(field));
        }
    }

    @Test
    void theLocalFallbackEnforcesTheConstraintItself() throws Exception {
        upstream.always(Fault.status(401));
        Reply r = post(chat("smart", ",\"guided_choice\":[\"alpha\",\"beta\"]"));
        assertThat(r.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(r.json().at("/choices/0/message/content").asText()).isIn("alpha", "beta");
        assertThat(upstream.calls().get(0).body().get("guided_choice")).hasSize(2);
    }

    /**
     * The upstream answers prose ("Hello from the remote model"): outside a requested JSON object, so the
     * route moves on; a stream is read to its end and checked before anything of it reaches the client.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anAnswerOutsideTheSchemaIsAFailedTarget(boolean stream) throws Exception {
        String json = ",\"max_tokens\":60,\"response_format\":{\"type\":\"json_object\"},\"stream\":" + stream;
        Reply fallback = post(chat("smart", json));
        assertThat(fallback.status()).isEqualTo(200);
        assertThat(fallback.header("X-Backstop-Provider")).isEqualTo("local");
        assertThat(JSON.readTree(content(fallback, stream)).isObject()).isTrue();
        Reply none = post(chat("remote-only", json));
        assertThat(none.status()).isEqualTo(502);
        assertThat(none.json().at("/error/message").asText()).contains("outside the requested JSON schema").doesNotContain(FaultyUpstream.CONTENT);
        Reply free = post(chat("remote-only", ",\"stream\":" + stream));
        assertThat(free.status()).as("without a schema the same answer is fine").isEqualTo(200);
    }
}
