package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.TestServer;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.observe.ObserveConfig.AccessLogOptions;
import io.backstop.server.observe.cost.PriceTable;
import io.backstop.server.observe.trace.Tracing;
import io.backstop.server.route.FaultyUpstream;
import io.backstop.server.route.RouteClock;
import io.backstop.server.route.RouteTable;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server with the real local model ("stories"), a real upstream on loopback ("up", answering
 * "Hello from the remote model" with usage 3 in / 5 out), a provider that refuses connections ("down"),
 * prices for both remote targets, the access log in a file, and spans collected in memory.
 */
abstract class ObservedServerFixture {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** USD per million tokens: input 2, output 10 (so 3 in + 5 out cost 0.000056). */
    static final PriceTable PRICES = new PriceTable(Map.of("up:gpt-x", new PriceTable.Price(2, 10, null),
            "down:gpt-y", new PriceTable.Price(1, 1, null)), 0.36);

    @TempDir
    Path dir;
    FaultyUpstream upstream;
    /** A remote judge on loopback: answers every chat with {@link #verdict}, after {@link #judgeGate} opens. */
    HttpServer judgeServer;
    final List<JsonNode> judgeRequests = new CopyOnWriteArrayList<>();
    volatile String verdict = "{\"score\":4,\"pass\":true,\"reason\":\"On topic and fluent.\"}";
    final CountDownLatch judgeGate = new CountDownLatch(0);
    TestServer server;
    InMemorySpanExporter spans;
    Path accessLog;

    /** What a test changes in the configuration before the server starts. */
    UnaryOperator<ObserveConfig> observe() {
        return o -> o;
    }

    static ProviderConfig provider(String name, String baseUrl) {
        return new ProviderConfig(name, URI.create(baseUrl), null, Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(30), new ProviderConfig.RetryPolicy(1, Duration.ofMillis(10), Duration.ofMillis(10)),
                new ProviderConfig.BreakerPolicy(50, 10, 10, 2, Duration.ofMinutes(10), 1), false);
    }

    @BeforeEach
    void startServer() throws Exception {
        upstream = new FaultyUpstream();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        judgeServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        judgeServer.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        judgeServer.createContext("/v1/chat/completions", exchange -> {
            judgeRequests.add(JSON.readTree(exchange.getRequestBody()));
            try {
                judgeGate().await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] b = JSON.writeValueAsBytes(JSON.createObjectNode().put("id", "j-1").put("model", "verdict-model").set("choices",
                    JSON.createArrayNode().add(JSON.createObjectNode().put("index", 0).put("finish_reason", "stop")
                            .set("message", JSON.createObjectNode().put("role", "assistant").put("content", verdict)))));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, b.length);
            exchange.getResponseBody().write(b);
            exchange.close();
        });
        judgeServer.start();
        List<ProviderConfig> providers = List.of(provider("up", upstream.baseUrl()), provider("down", "http://127.0.0.1:" + closedPort + "/v1"),
                provider("judge", "http://127.0.0.1:" + judgeServer.getAddress().getPort() + "/v1"));
        List<RouteConfig> routes = List.of(
                new RouteConfig("smart", List.of(new RouteConfig.Target("up", "gpt-x", null, null), new RouteConfig.Target("local", "stories", null, null))),
                new RouteConfig("resilient", List.of(new RouteConfig.Target("down", "gpt-y", null, null), new RouteConfig.Target("local", "stories", null, null))),
                new RouteConfig("judge", List.of(new RouteConfig.Target("judge", "verdict-model", null, null))));
        accessLog = dir.resolve("access.jsonl");
        ObserveConfig o = observe().apply(ObserveConfig.defaults().withAccessLog(new AccessLogOptions(accessLog.toString(), false)).withPricing(PRICES));
        ServerConfig config = TestServer.config(2, 32).withRouting(providers, routes).withObserve(o);
        RouteTable table = new RouteTable(providers, routes, Map.of(), () -> 1.0, RouteClock.SYSTEM);
        spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        server = TestServer.startObserved(config, table, Tracing.of(sdk), () -> 0.0);
    }

    /** What the judge waits for before it answers (open unless a test holds it). */
    CountDownLatch judgeGate() {
        return judgeGate;
    }

    @AfterEach
    void stopServer() throws Exception {
        server.close();
        upstream.close();
        judgeServer.stop(0);
    }

    record Reply(int status, Map<String, List<String>> headers, String body) {
        String header(String n) {
            return headers.getOrDefault(n.toLowerCase(), List.of()).stream().findFirst().orElse(null);
        }

        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    Reply chat(String model, boolean stream, String... headers) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily went to the park\"}],"
                + "\"temperature\":0,\"max_tokens\":12,\"stream\":" + stream + "}";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    Reply get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().map(), r.body());
    }

    /** The access log's lines once there are {@code n} of them (lines are written as each response completes). */
    List<JsonNode> accessLines(int n) throws Exception {
        TestServer.awaitState(() -> lines().size() >= n, n + " access-log lines");
        return lines().stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
    }

    private List<String> lines() {
        try {
            return Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The value of one series in the Prometheus text, or null when absent (labels matched as written, in any order). */
    static Double sample(String exposition, String name, String... labels) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith("#")) continue;
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String metric = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
            if (!metric.equals(name)) continue;
            String labelPart = brace >= 0 ? line.substring(brace, line.lastIndexOf('}') + 1) : "";
            boolean all = true;
            for (String l : labels) all &= labelPart.contains(l);
            if (all) return Double.parseDouble(line.substring(space + 1));
        }
        return null;
    }
}
