package io.backstop.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.RawHttp;
import io.backstop.server.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Browser clients (CORS, preflight without the API key) and model aliases for apps that hard-code a model name. */
class CorsAndAliasesTest {
    private static final String APP = "https://app.example.com";
    private static final String CHAT = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":2,\"temperature\":0}";
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(c -> c.withApiKeys(List.of("k1"))
                .withHttp(c.http().withCorsOrigins(List.of(APP)).withModelAliases(Map.of("gpt-4o-mini", TestServer.MODEL))));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawHttp.Response request(String method, String path, String body, String... headers) throws Exception {
        StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (String h : headers) r.append(h).append("\r\n");
        if (body != null) r.append("Content-Type: application/json\r\nContent-Length: ").append(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).append("\r\n");
        r.append("\r\n");
        if (body != null) r.append(body);
        return RawHttp.exchange(server, r.toString());
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredWithoutTheApiKey() throws Exception {
        RawHttp.Response r = request("OPTIONS", "/v1/chat/completions", null, "Origin: " + APP, "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: authorization, content-type, x-stainless-os");
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(r.header("Access-Control-Allow-Methods")).contains("POST");
        assertThat(r.header("Access-Control-Allow-Headers")).isEqualTo("authorization, content-type, x-stainless-os");
        assertThat(r.header("Access-Control-Max-Age")).isNotNull();
        RawHttp.Response other = request("OPTIONS", "/v1/chat/completions", null, "Origin: https://evil.example", "Access-Control-Request-Method: POST");
        assertThat(other.status()).isEqualTo(204);
        assertThat(other.header("Access-Control-Allow-Origin")).as("the browser then refuses the call").isNull();
    }

    @Test
    void responsesToAnAllowedOriginCarryCorsHeadersErrorsIncluded() throws Exception {
        RawHttp.Response ok = request("POST", "/v1/chat/completions", CHAT, "Origin: " + APP, "Authorization: Bearer k1");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo(APP);
        assertThat(ok.header("Access-Control-Expose-Headers")).contains("X-Request-Id");
        RawHttp.Response denied = request("POST", "/v1/chat/completions", CHAT, "Origin: " + APP);
        assertThat(denied.status()).isEqualTo(401);
        assertThat(denied.header("Access-Control-Allow-Origin")).as("a browser app can read why").isEqualTo(APP);
        assertThat(request("POST", "/v1/chat/completions", CHAT, "Origin: https://evil.example", "Authorization: Bearer k1")
                .header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void withoutCorsOriginsNoCorsHeaderIsSent() throws Exception {
        try (TestServer plain = TestServer.start()) {
            RawHttp.Response r = RawHttp.exchange(plain, "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nOrigin: " + APP + "\r\nConnection: close\r\n\r\n");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Access-Control-Allow-Origin")).isNull();
        }
    }

    @Test
    void anAliasServesItsModelAndIsListed() throws Exception {
        RawHttp.Response chat = request("POST", "/v1/chat/completions", CHAT, "Authorization: Bearer k1");
        assertThat(chat.status()).as(chat.body()).isEqualTo(200);
        assertThat(chat.json().at("/choices/0/message/content").asText()).isEqualTo(", there");
        assertThat(chat.json().get("model").asText()).isEqualTo(TestServer.MODEL);
        RawHttp.Response embed = request("POST", "/v1/embeddings", "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\"}", "Authorization: Bearer k1");
        assertThat(embed.status()).isEqualTo(200);
        JsonNode models = request("GET", "/v1/models", null, "Authorization: Bearer k1").json().get("data");
        assertThat(models).anySatisfy(m -> {
            assertThat(m.get("id").asText()).isEqualTo("gpt-4o-mini");
            assertThat(m.get("alias_of").asText()).isEqualTo(TestServer.MODEL);
        });
        RawHttp.Response one = request("GET", "/v1/models/gpt-4o-mini", null, "Authorization: Bearer k1");
        assertThat(one.status()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(one.body()).get("id").asText()).isEqualTo("gpt-4o-mini");
    }
}
