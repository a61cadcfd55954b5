package io.backstop.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** /v1/embeddings and /tokenize: token-id inputs, per-request limits, and the model's admission control. */
class EmbeddingsAndTokenizeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> post(TestServer s, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void tokenIdInputsEmbedAsTheTextTheyEncode() throws Exception {
        try (TestServer s = TestServer.start()) {
            JsonNode ids = json(post(s, "/tokenize", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\"}")).get("tokens");
            HttpResponse<String> r = post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":[\"Once upon a time\"," + ids + "]}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode data = json(r).get("data");
            assertThat(data).hasSize(2);
            assertThat(data.get(1).get("embedding")).isEqualTo(data.get(0).get("embedding"));
            assertThat(json(r).at("/usage/prompt_tokens").asInt()).isEqualTo(2 * ids.size());
            HttpResponse<String> single = post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":" + ids + "}");
            assertThat(json(single).get("data")).hasSize(1);
            assertThat(json(single).at("/data/0/embedding")).isEqualTo(data.get(0).get("embedding"));
            HttpResponse<String> bad = post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":[[1,99999]]}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(json(bad).at("/error/param").asText()).isEqualTo("input");
            assertThat(json(bad).at("/error/message").asText()).contains("99999");
        }
    }

    @Test
    void inputsAndTokensPerRequestAreLimited() throws Exception {
        try (TestServer s = TestServer.start(c -> c.withHttp(c.http().withEmbeddingLimits(3, 10)))) {
            HttpResponse<String> many = post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":[\"a\",\"b\",\"c\",\"d\"]}");
            assertThat(many.statusCode()).isEqualTo(400);
            assertThat(json(many).at("/error/message").asText()).contains("at most 3 inputs").contains("server.max_embedding_inputs");
            HttpResponse<String> long_ = post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":[\"Once upon a time\",\"Once upon a time\",\"Once upon a time\"]}");
            assertThat(long_.statusCode()).isEqualTo(400);
            assertThat(json(long_).at("/error/message").asText()).contains("at most 10");
            assertThat(post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":[\"Once\",\"upon\"]}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void embeddingsAndTokenizeWaitTheirTurnAndGet429WhenTheModelIsFull() throws Exception {
        try (TestServer s = TestServer.start(c -> TestServer.config(1, 0))) {
            try (AutoCloseable held = TestServer.holdASlot(s.registry().get(TestServer.MODEL))) {
                for (String[] call : new String[][] {{"/v1/embeddings", "{\"model\":\"stories\",\"input\":\"Once upon a time\"}"},
                        {"/tokenize", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\"}"}}) {
                    HttpResponse<String> busy = post(s, call[0], call[1]);
                    assertThat(busy.statusCode()).as(call[0]).isEqualTo(429);
                    assertThat(busy.headers().firstValue("Retry-After")).isPresent();
                    assertThat(json(busy).at("/error/type").asText()).isEqualTo("rate_limit_error");
                }
            }
            assertThat(post(s, "/v1/embeddings", "{\"model\":\"stories\",\"input\":\"Once upon a time\"}").statusCode()).isEqualTo(200);
            assertThat(post(s, "/tokenize", "{\"model\":\"stories\",\"prompt\":\"Once upon a time\"}").statusCode()).isEqualTo(200);
        }
    }
}
