package io.backstop.server.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.Model;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Draining: queued requests get 503 at once, running ones finish within the drain timeout, the rest end cleanly. */
class GracefulShutdownTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String NO_EOS = ",\"logit_bias\":{\"1\":-100,\"2\":-100}";

    private static HttpRequest chat(TestServer s, int maxTokens, int n, boolean stream) {
        return HttpRequest.newBuilder(URI.create(s.baseUrl() + "/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                        + "\"temperature\":0,\"max_tokens\":" + maxTokens + ",\"n\":" + n + ",\"stream\":" + stream + NO_EOS + "}")).build();
    }

    private static CompletableFuture<Void> drain(TestServer s, Duration timeout) {
        return CompletableFuture.runAsync(() -> new GracefulShutdown(s.server(), s.registry(), timeout).drain());
    }

    @Test
    void queuedRequestsGet503AtOnceAndNoNewConnectionIsAccepted() throws Exception {
        TestServer s = TestServer.start(c -> TestServer.config(1, 4));
        Model model = s.registry().get(TestServer.MODEL);
        AutoCloseable held = TestServer.holdASlot(model);
        CompletableFuture<HttpResponse<String>> queued = HTTP.sendAsync(chat(s, 5, 1, false), HttpResponse.BodyHandlers.ofString());
        TestServer.awaitState(() -> model.waiting() == 1 && s.server().inFlight().size() == 1, "the request to be queued");

        int port = Integer.parseInt(s.baseUrl().replaceAll(".*:", ""));
        CompletableFuture<Void> drained = drain(s, Duration.ofSeconds(60));
        HttpResponse<String> r = queued.get(60, TimeUnit.SECONDS); // answered while the slot is still held
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("server_shutting_down");
        TestServer.awaitState(() -> refuses(port), "the listening socket to close");
        held.close();
        drained.get(60, TimeUnit.SECONDS);
    }

    @Test
    void aRunningStreamFinishesWithinTheDrainTimeout() throws Exception {
        TestServer s = TestServer.start(c -> TestServer.config(1, 4));
        HttpResponse<InputStream> r = HTTP.send(chat(s, 100, 1, true), HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("data: "); // it runs
        CompletableFuture<Void> drained = drain(s, Duration.ofSeconds(120));
        List<String> events = rest(in);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode last = JSON.readTree(events.get(events.size() - 2));
        assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(events).noneMatch(e -> e.contains("\"error\""));
        drained.get(60, TimeUnit.SECONDS);
    }

    @Test
    void afterTheDrainTimeoutAStreamEndsWithAnErrorEventAndDone() throws Exception {
        TestServer s = TestServer.start(c -> TestServer.config(1, 32));
        // 16 choices of 500 tokens, one after the other: far from done when the drain timeout (0) passes
        HttpResponse<InputStream> r = HTTP.send(chat(s, 500, 16, true), HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThat(in.readLine()).startsWith("data: ");
        drain(s, Duration.ZERO).get(60, TimeUnit.SECONDS);
        List<String> events = rest(in);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        JsonNode error = JSON.readTree(events.get(events.size() - 2)).get("error");
        assertThat(error.get("code").asText()).isEqualTo("server_shutting_down");
        assertThat(error.get("message").asText()).contains("shutting down");
    }

    /**
     * Choices decoding side by side (the native engine's batch; their tokens reach the stream from delivery threads):
     * ended together by the shutdown, none of them writes after the error event.
     */
    @Test
    void choicesEndedTogetherWriteNothingAfterTheErrorEvent() throws Exception {
        ModelConfig gguf = new ModelConfig(TestServer.MODEL, TestServer.shared().resolve("models/stories260K/gguf/stories260K-f32.gguf"), null, "raw",
                8, 8, true, RequestDefaults.none(), null);
        for (int round = 0; round < 5; round++) {
            TestServer s = TestServer.start(c -> c.withModels(List.of(gguf)));
            HttpResponse<InputStream> r = HTTP.send(chat(s, 2000, 8, true), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("data: ");
            drain(s, Duration.ZERO).get(60, TimeUnit.SECONDS);
            List<String> events = rest(in);
            assertThat(events.get(events.size() - 1)).as("round %d", round).isEqualTo("[DONE]");
            assertThat(JSON.readTree(events.get(events.size() - 2)).at("/error/code").asText()).as("round %d", round).isEqualTo("server_shutting_down");
        }
    }

    /** The data of the remaining events, up to the end of the stream. */
    private static List<String> rest(BufferedReader in) throws IOException {
        List<String> out = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("data: ")) out.add(line.substring("data: ".length()));
        }
        return out;
    }

    private static boolean refuses(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        } catch (IOException other) {
            return false;
        }
    }
}
