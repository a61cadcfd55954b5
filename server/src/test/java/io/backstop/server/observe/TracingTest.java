package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.backstop.server.TestServer;
import io.backstop.server.observe.trace.Tracing;
import io.backstop.server.route.FaultyUpstream;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Spans per request, per route attempt, per upstream call and local generation phase, with GenAI attributes. */
class TracingTest extends ObservedServerFixture {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";

    private List<SpanData> finished(int atLeast) throws Exception {
        TestServer.awaitState(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getKind() == SpanKind.SERVER)
                && spans.getFinishedSpanItems().size() >= atLeast, "the request's spans");
        return spans.getFinishedSpanItems();
    }

    private static SpanData named(List<SpanData> spans, String name) {
        return spans.stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no span '" + name + "' in " + spans.stream().map(SpanData::getName).toList()));
    }

    @Test
    void aRoutedRequestContinuesTheClientsTraceAndPassesItToTheProvider() throws Exception {
        assertThat(chat("smart", false, "traceparent", "00-" + TRACE + "-" + CLIENT_SPAN + "-01").status()).isEqualTo(200);
        List<SpanData> all = finished(3);

        SpanData request = named(all, "chat smart");
        assertThat(request.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(request.getTraceId()).isEqualTo(TRACE);
        assertThat(request.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(request.getAttributes().get(GenAi.A_OPERATION)).isEqualTo("chat");
        assertThat(request.getAttributes().get(GenAi.A_REQUEST_MODEL)).isEqualTo("smart");
        assertThat(request.getAttributes().get(GenAi.A_MAX_TOKENS)).isEqualTo(12L);
        assertThat(request.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
        assertThat(request.getAttributes().get(AttributeKey.doubleKey("backstop.cost_usd"))).isCloseTo(0.000056, org.assertj.core.data.Offset.offset(1e-12));

        SpanData attempt = named(all, "route.attempt up:gpt-x");
        assertThat(attempt.getParentSpanId()).isEqualTo(request.getSpanId());
        assertThat(attempt.getAttributes().get(GenAi.A_PROVIDER)).isEqualTo("up");
        assertThat(attempt.getAttributes().get(GenAi.A_INPUT_TOKENS)).isEqualTo(3L);
        assertThat(attempt.getAttributes().get(GenAi.A_OUTPUT_TOKENS)).isEqualTo(5L);
        assertThat(attempt.getAttributes().get(GenAi.A_RESPONSE_MODEL)).isEqualTo("gpt-x");
        assertThat(attempt.getAttributes().get(GenAi.A_FINISH_REASONS)).containsExactly("stop");
        assertThat(attempt.getAttributes().get(GenAi.A_COST)).isCloseTo(0.000056, org.assertj.core.data.Offset.offset(1e-12)); // Langfuse's cost
        assertThat(request.getAttributes().get(GenAi.A_INPUT_MESSAGES)).as("no content unless it is logged").isNull();

        SpanData call = named(all, "chat gpt-x");
        assertThat(call.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(call.getParentSpanId()).isEqualTo(attempt.getSpanId());
        // the provider got the same trace, with the client span as its parent
        FaultyUpstream.Call sent = upstream.calls().get(0);
        assertThat(sent.traceparent()).isEqualTo("00-" + TRACE + "-" + call.getSpanId() + "-01");
    }

    @Test
    void aFallbackShowsTheFailedAttemptAndTheLocalGenerationsPhases() throws Exception {
        assertThat(chat("resilient", false).status()).isEqualTo(200);
        List<SpanData> all = finished(6);
        SpanData request = named(all, "chat resilient");
        SpanData failed = named(all, "route.attempt down:gpt-y");
        assertThat(failed.getParentSpanId()).isEqualTo(request.getSpanId());
        assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(failed.getAttributes().get(GenAi.A_ERROR_TYPE)).isEqualTo("connection_error");

        SpanData local = named(all, "route.attempt local:stories");
        assertThat(local.getParentSpanId()).isEqualTo(request.getSpanId());
        assertThat(local.getAttributes().get(AttributeKey.booleanKey("backstop.attempt.won"))).isTrue();
        SpanData generate = named(all, "generate stories");
        assertThat(generate.getParentSpanId()).isEqualTo(local.getSpanId());
        assertThat(generate.getAttributes().get(GenAi.A_OUTPUT_TOKENS)).isEqualTo(12L);
        for (String phase : List.of("queue", "prefill", "decode")) {
            SpanData p = named(all, phase);
            assertThat(p.getParentSpanId()).as(phase).isEqualTo(generate.getSpanId());
            assertThat(p.getTraceId()).isEqualTo(request.getTraceId());
        }
        assertThat(named(all, "prefill").getEndEpochNanos()).isLessThanOrEqualTo(named(all, "decode").getStartEpochNanos());
    }

    @Test
    void spansGoToAnOtlpReceiverNamedByTheStandardEnvironment() throws Exception {
        List<Span> received = new CopyOnWriteArrayList<>();
        List<String> paths = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        collector.createContext("/", exchange -> {
            paths.add(exchange.getRequestURI().getPath());
            ExportTraceServiceRequest r = ExportTraceServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
            r.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> received.addAll(ss.getSpansList())));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort(),
                "OTEL_BSP_SCHEDULE_DELAY", "50");
        Tracing otlp = Tracing.fromEnvironment(false, env);
        assertThat(otlp.enabled()).isTrue();
        try (TestServer exporting = TestServer.startObserved(TestServer.config(1, 4), io.backstop.server.route.RouteTable.empty(), otlp, () -> 1.0)) {
            var r = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(exporting.baseUrl() + "/v1/chat/completions"))
                    .header("traceparent", "00-" + TRACE + "-" + CLIENT_SPAN + "-01")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3}"))
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            TestServer.awaitState(() -> received.stream().anyMatch(s -> s.getName().equals("chat stories")), "the exported request span");
        } finally {
            collector.stop(0);
        }
        Span request = received.stream().filter(s -> s.getName().equals("chat stories")).findFirst().orElseThrow();
        assertThat(HexFormat.of().formatHex(request.getTraceId().toByteArray())).isEqualTo(TRACE);
        assertThat(paths).contains("/v1/traces");
    }

    @Test
    void tracingIsOffUnlessConfiguredOrAskedForByTheEnvironment() {
        assertThat(Tracing.fromEnvironment(false, Map.of()).enabled()).isFalse();
        assertThat(Tracing.fromEnvironment(false, Map.of("OTEL_TRACES_EXPORTER", "otlp", "OTEL_SDK_DISABLED", "true")).enabled()).isFalse();
        assertThat(Tracing.fromEnvironment(true, Map.of("OTEL_TRACES_EXPORTER", "none")).enabled()).isFalse();
    }
}
