package io.backstop.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The load client tells its failures apart: an HTTP status with the server's message, a stream that carried no
 * text, a connection that broke. Real servers on loopback: the JDK's HTTP server answering as an OpenAI-compatible
 * one would, and a socket that closes every connection unanswered.
 */
class LoadBenchErrorsTest {
    private HttpServer http;

    @AfterEach
    void stop() {
        if (http != null) http.stop(0);
    }

    /** Every other request refused with 503 and an OpenAI error body; the rest stream three tokens. */
    @Test
    void refusedRequestsAreCountedWithTheStatusAndTheServersMessage() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        String url = serve(exchange -> {
            if (seen.getAndIncrement() % 2 == 1) {
                send(exchange, 503, "application/json", "{\"error\":{\"message\":\"all slots are busy\",\"type\":\"server_error\"}}");
            } else {
                send(exchange, 200, "text/event-stream", "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: {\"choices\":[{\"text\":\"b\"}]}\n\n"
                        + "data: {\"choices\":[{\"text\":\"c\"}],\"usage\":{\"completion_tokens\":3}}\n\ndata: [DONE]\n\n");
            }
        });
        LoadBench.Level level = new LoadBench(url, "m").run(1, 4, 3);
        assertThat(level.requests()).isEqualTo(4);
        assertThat(level.errors()).isEqualTo(2);
        assertThat(level.errorReasons()).isEqualTo(Map.of("HTTP 503: all slots are busy", 2));
        assertThat(level.aggregateTokensPerSecond()).isPositive();
        assertThat(LoadCommand.table("m", 3, List.of(level))).contains("| 1 | 4 | 2 |").contains("Errors at 1 client: 2 × HTTP 503: all slots are busy");
    }

    @Test
    void aStreamWithoutTextIsAnErrorOfItsOwnKind() throws Exception {
        String url = serve(exchange -> send(exchange, 200, "text/event-stream", "data: {\"choices\":[{\"text\":\"\"}]}\n\ndata: [DONE]\n\n"));
        LoadBench.Level level = new LoadBench(url, "m").run(2, 1, 3);
        assertThat(level.errors()).isEqualTo(2);
        assertThat(level.errorReasons()).isEqualTo(Map.of(LoadBench.NO_TEXT, 2));
    }

    @Test
    void aConnectionClosedUnansweredIsNamedByItsException() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        s.getInputStream().read(new byte[1024]); // the request's start, then close without answering
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            LoadBench.Level level = new LoadBench("http://127.0.0.1:" + socket.getLocalPort(), "m").run(1, 1, 3);
            assertThat(level.errors()).isEqualTo(1);
            assertThat(level.errorReasons().keySet()).singleElement().asString().matches("\\w*Exception(: .*)?").doesNotStartWith("HTTP");
            socket.close();
            acceptor.join();
        }
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private String serve(Handler handler) throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/v1/completions", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                handler.handle(exchange);
            }
        });
        http.start();
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, b.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(b);
        }
    }
}
