package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.TestServer;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.config.ServerConfig;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The real server on a real port routing to real, misbehaving upstreams on loopback ({@link FaultyUpstream}),
 * with the real local model as the fallback, and the requests tests send. Time that routing decides by
 * (backoff, breaker, cool-down) is a {@link ManualClock}: tests move it and read the waits it was asked
 * for, so nothing depends on the machine's speed.
 */
abstract class RoutedServerFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonNode REF = TestServer.references().stream()
            .filter(r -> r.get("prompt").asText().startsWith("Lily")).findFirst().orElseThrow();
    static final RouteConfig.Target UP = new RouteConfig.Target("up", "gpt-x", null, null);
    static final RouteConfig.Target LOCAL = new RouteConfig.Target("local", "stories", null, null);
    static final RouteConfig.Target SLOW = new RouteConfig.Target("slow", "gpt-x", null, null);
    /** Hedges fire after this long; only used where the remote cannot answer first (it hangs or is held). */
    static final Duration HEDGE = Duration.ofMillis(300);

    FaultyUpstream upstream;
    FaultyUpstream second;
    ManualClock clock;
    TestServer server;
    RouteTable routes;

    /**
     * Small, exact numbers: jitter is fixed at 1, so backoff waits are 100 ms then 200 ms. The first-byte
     * and idle timeouts run on the real clock: long enough that a loaded machine never turns a prompt
     * answer into a timeout (and a retry), short enough that the hang tests stay quick.
     */
    static ProviderConfig provider(String name, String baseUrl) {
        return provider(name, baseUrl, Duration.ofMillis(2000), Duration.ofMillis(1500), Duration.ofSeconds(10));
    }

    static ProviderConfig provider(String name, String baseUrl, Duration firstByte, Duration idle, Duration deadline) {
        return new ProviderConfig(name, URI.create(baseUrl), "UP_KEY", Duration.ofMillis(500), firstByte,
                idle, deadline, new ProviderConfig.RetryPolicy(3, Duration.ofMillis(100), Duration.ofMillis(400)),
                new ProviderConfig.BreakerPolicy(50, 10, 10, 3, Duration.ofMillis(800), 1), false);
    }

    @BeforeEach
    void start() throws Exception {
        upstream = new FaultyUpstream();
        second = new FaultyUpstream(List.of("Second", " opinion"));
        clock = new ManualClock();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        // "slow" and "slow2" wait a minute for a first byte or the next chunk: in the hedging tests only a cancel closes their calls
        Duration minute = Duration.ofMinutes(1);
        List<ProviderConfig> providers = List.of(provider("up", upstream.baseUrl()), provider("down", "http://127.0.0.1:" + closedPort + "/v1"),
                provider("slow", upstream.baseUrl(), minute, minute, minute), provider("slow2", second.baseUrl(), minute, minute, minute));
        Duration wait = RouteConfig.DEFAULT_MAX_RETRY_WAIT;
        List<RouteConfig> routeConfigs = List.of(
                new RouteConfig("smart", List.of(UP, LOCAL), null, wait), // no hedging: the chain moves on failures only
                new RouteConfig("remote-only", List.of(UP)),
                new RouteConfig("resilient", List.of(new RouteConfig.Target("down", "gpt-y", null, null), LOCAL), null, wait),
                new RouteConfig("capped", List.of(new RouteConfig.Target("up", "gpt-x", 7, 0.0))),
                new RouteConfig("patient", List.of(UP, LOCAL), null, Duration.ofSeconds(2)),
                new RouteConfig("hedged", List.of(SLOW, LOCAL), HEDGE, wait),
                new RouteConfig("hedged-remote", List.of(SLOW, new RouteConfig.Target("slow2", "gpt-z", null, null)), HEDGE, wait));
        ServerConfig config = TestServer.config(4, 64).withRouting(providers, routeConfigs);
        routes = new RouteTable(providers, routeConfigs, Map.of("UP_KEY", "sk-test-123"), () -> 1.0, clock);
        server = TestServer.startRouted(config, routes);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        upstream.close();
        second.close();
    }

    record Reply(int status, Map<String, List<String>> headers, String body) {
        String header(String n) {
            return headers.getOrDefault(n.toLowerCase(), List.of()).stream().findFirst().orElse(null);
        }

        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static String chatBody(String model, boolean stream) throws Exception {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(REF.get("prompt").asText())
                + "}],\"temperature\":0,\"max_tokens\":" + TestServer.maxTokens(REF) + ",\"top_k\":5,\"stream\":" + stream + "}";
    }

    HttpRequest chatRequest(String model, boolean stream) throws Exception {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(chatBody(model, stream))).build();
    }

    Reply chat(String model, boolean stream) throws Exception {
        return reply(HTTP.send(chatRequest(model, stream), HttpResponse.BodyHandlers.ofString()));
    }

    static Reply reply(HttpResponse<String> r) {
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    Reply get(String path) throws Exception {
        return reply(HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    static String streamedContent(String body) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String block : body.split("\n\n")) {
            if (!block.startsWith("data: {")) continue;
            JsonNode e = JSON.readTree(block.substring(6));
            for (JsonNode c : e.path("choices")) sb.append(c.path("delta").path("content").asText(""));
        }
        return sb.toString();
    }

    String content(Reply r, boolean stream) throws Exception {
        return stream ? streamedContent(r.body()) : r.json().at("/choices/0/message/content").asText();
    }

    JsonNode provider(String name) throws Exception {
        for (JsonNode p : get("/v1/providers").json().get("data")) if (p.get("id").asText().equals(name)) return p;
        throw new AssertionError("no provider " + name);
    }

    /** The last three events of a stream that broke after content: error event, final chunk, [DONE]. */
    static void assertEndsAsInterrupted(String body) throws Exception {
        List<String> events = new ArrayList<>(List.of(body.split("\n\n")));
        assertThat(events.get(events.size() - 1)).isEqualTo("data: [DONE]");
        JsonNode error = JSON.readTree(events.get(events.size() - 3).substring(6));
        assertThat(error.at("/error/code").asText()).isEqualTo("upstream_stream_interrupted");
        JsonNode last = JSON.readTree(events.get(events.size() - 2).substring(6));
        assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("error");
    }
}
