package io.backstop.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.schedule.Arrivals;
import io.backstop.server.RawHttp;
import io.backstop.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP contract below the API: whatever arrives, the answer is OpenAI-shaped JSON with the right
 * status; bodies are bounded however they are sent. (The test server's body limit is 64 KiB.)
 */
class ProtocolTest {
    private static final String CHAT = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":2,\"temperature\":0}";
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawHttp.Response send(String request) throws IOException {
        return RawHttp.exchange(server, request);
    }

    private static RawHttp.Response post(String path, String contentType, byte[] body, String... headers) throws IOException {
        StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if (contentType != null) head.append("Content-Type: ").append(contentType).append("\r\n");
        for (String h : headers) head.append(h).append("\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        try (Socket socket = RawHttp.connect(server)) {
            socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write(body);
            return RawHttp.read(socket.getInputStream());
        }
    }

    private static void assertOpenAiError(RawHttp.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.body()).doesNotContainIgnoringCase("<html").doesNotContain("jetty").doesNotContain("Exception");
        assertThat(r.json().at("/error/message").asText()).isNotBlank();
        assertThat(r.json().at("/error/type").asText()).isNotBlank();
        assertThat(r.json().get("error").has("param")).isTrue();
        assertThat(r.json().get("error").has("code")).isTrue();
    }

    @Test
    void requestsJettyCannotParseGetOpenAiJsonNeverHtml() throws Exception {
        assertOpenAiError(send("GET /v1/models/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 400);
        assertOpenAiError(send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n"), 431);
        assertOpenAiError(send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\nConnection: close\r\n\r\n"), 400);
        assertOpenAiError(send("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\u0001b\r\nConnection: close\r\n\r\n"), 400);
        RawHttp.Response te = send("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: banana\r\nConnection: close\r\n\r\n");
        assertOpenAiError(te, te.status());
        assertThat(te.status()).isBetween(400, 599);
    }

    /** The gate counts generation requests it is reading (the batch scheduler's gathering hint); none stays counted. */
    @Test
    void everyGenerationRequestAnsweredOrRefusedLeavesNoArrivalOpen() throws Exception {
        assertThat(post("/v1/chat/completions", "application/json", CHAT.getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        assertOpenAiError(post("/v1/chat/completions", "application/json", "{\"model\":".getBytes(StandardCharsets.UTF_8)), 400);
        assertOpenAiError(post("/v1/completions", "text/plain", "hello".getBytes(StandardCharsets.UTF_8)), 415);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // the gate lets go after the answer is written
        while (Arrivals.pending() != 0 && System.nanoTime() < until) Thread.sleep(1);
        assertThat(Arrivals.pending()).isZero();
    }

    @Test
    void aWrongMethodOnAKnownPathIs405WithAllow() throws Exception {
        RawHttp.Response get = send("GET /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertOpenAiError(get, 405);
        assertThat(get.header("Allow")).isEqualTo("POST, OPTIONS");
        assertThat(get.json().at("/error/code").asText()).isEqualTo("method_not_allowed");
        RawHttp.Response delete = send("DELETE /v1/models/stories HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertOpenAiError(delete, 405);
        assertThat(delete.header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
        assertThat(post("/health", "application/json", "{}".getBytes(StandardCharsets.UTF_8)).header("Allow")).isEqualTo("GET, HEAD, OPTIONS");
        assertOpenAiError(send("GET /v2/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 404);
        RawHttp.Response options = send("OPTIONS /v1/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(options.status()).isEqualTo(204);
        assertThat(options.header("Allow")).isEqualTo("POST, OPTIONS");
        assertThat(send("HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").status()).isEqualTo(200);
    }

    @Test
    void trailingTextAfterTheJsonBodyIs400() throws Exception {
        RawHttp.Response r = post("/v1/chat/completions", "application/json", (CHAT + "xx").getBytes(StandardCharsets.UTF_8));
        assertOpenAiError(r, 400);
        assertThat(r.json().at("/error/message").asText()).contains("more text after its end");
        assertThat(post("/v1/chat/completions", "application/json", (CHAT + " \n").getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
    }

    @Test
    void parseErrorsNeverShowTheJsonLibrarysInternals() throws Exception {
        List<String> bodies = List.of("{\"model\":NaN}", "{\"model\":" + "1".repeat(2000) + "}", "[".repeat(3000), "{'model':'stories'}",
                "{\"model\":\"stories\",}", "/* hi */ {}", "{\"model\":\"sto\u0001ries\"}", "{\"model\":\"stories\"", "{\"a\":\"\\x\"}", "nul");
        for (String body : bodies) {
            RawHttp.Response r = post("/v1/chat/completions", "application/json", body.getBytes(StandardCharsets.UTF_8));
            assertOpenAiError(r, 400);
            assertThat(r.json().at("/error/message").asText()).as(body)
                    .doesNotContain("JsonReadFeature").doesNotContain("StreamReadConstraints").doesNotContain("Feature")
                    .doesNotContain("com.fasterxml").doesNotContain("jackson").doesNotContain("`");
        }
    }

    @Test
    void outOfRangeNumbersAreReportedAsSent() throws Exception {
        RawHttp.Response r = post("/v1/chat/completions", "application/json", CHAT.replace("\"temperature\":0", "\"temperature\":1e30").getBytes(StandardCharsets.UTF_8));
        assertOpenAiError(r, 400);
        assertThat(r.json().at("/error/message").asText()).contains("1.0E30").doesNotContain("9223372036854775807");
    }

    @Test
    void onlyJsonBodiesAreAccepted() throws Exception {
        byte[] chat = CHAT.getBytes(StandardCharsets.UTF_8);
        assertThat(post("/v1/chat/completions", "application/json; charset=utf-8", chat).status()).isEqualTo(200);
        assertThat(post("/v1/chat/completions", null, chat).status()).as("no Content-Type: read as JSON").isEqualTo(200);
        assertThat(post("/v1/chat/completions", "application/x-www-form-urlencoded", chat).status()).as("curl -d").isEqualTo(200);
        for (String type : List.of("text/plain", "multipart/form-data; boundary=x", "application/xml")) {
            RawHttp.Response r = post("/v1/chat/completions", type, chat);
            assertOpenAiError(r, 415);
            assertThat(r.json().at("/error/code").asText()).isEqualTo("unsupported_media_type");
        }
        RawHttp.Response form = post("/v1/chat/completions", "application/x-www-form-urlencoded", "model=stories&prompt=x".getBytes(StandardCharsets.UTF_8));
        assertOpenAiError(form, 415);
    }

    @Test
    void gzipBodiesAreDecodedWithinTheLimitAndOtherEncodingsRefused() throws Exception {
        RawHttp.Response ok = post("/v1/chat/completions", "application/json", gzip(CHAT.getBytes(StandardCharsets.UTF_8)), "Content-Encoding: gzip");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().at("/choices/0/message/content").asText()).isEqualTo(", there");
        byte[] bomb = gzip(("{\"model\":\"stories\",\"x\":\"" + " ".repeat(50_000_000) + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(bomb.length).isLessThan(64 * 1024);
        RawHttp.Response tooBig = post("/v1/chat/completions", "application/json", bomb, "Content-Encoding: gzip");
        assertOpenAiError(tooBig, 413);
        assertThat(tooBig.json().at("/error/message").asText()).contains("after decompression");
        RawHttp.Response corrupt = post("/v1/chat/completions", "application/json", "not gzip at all".getBytes(StandardCharsets.UTF_8), "Content-Encoding: gzip");
        assertOpenAiError(corrupt, 400);
        assertOpenAiError(post("/v1/chat/completions", "application/json", CHAT.getBytes(StandardCharsets.UTF_8), "Content-Encoding: br"), 415);
    }

    @Test
    void chunkedBodiesOverTheLimitGet413OnEveryEndpoint() throws Exception {
        byte[] chunk = ("{\"pad\":\"" + "x".repeat(20_000) + "\"}").getBytes(StandardCharsets.US_ASCII);
        for (String path : List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/tokenize", "/detokenize", "/v2/unknown")) {
            try (Socket socket = RawHttp.connect(server)) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < 5; i++) { // 100 KB in 20 KB chunks: over the 64 KiB limit
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                RawHttp.Response r = RawHttp.read(socket.getInputStream());
                assertOpenAiError(r, 413);
                assertThat(r.json().at("/error/message").asText()).as(path).contains("65536 bytes");
            }
        }
    }

    /** The server must answer as soon as the limit passes: a body that never ends gets its 413 all the same. */
    @Test
    void anEndlessChunkedBodyIsRefusedWhileItIsStillArriving() throws Exception {
        try (Socket socket = RawHttp.connect(server)) {
            OutputStream out = socket.getOutputStream();
            out.write("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("1000\r\n" + "x".repeat(0x1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            CompletableFuture<Long> sent = CompletableFuture.supplyAsync(() -> {
                long n = 0;
                try {
                    while (true) {
                        out.write(chunk);
                        n += chunk.length;
                    }
                } catch (IOException closedByTheServer) {
                    return n;
                }
            });
            RawHttp.Response r = RawHttp.read(socket.getInputStream());
            assertOpenAiError(r, 413);
            assertThat(r.header("Connection")).isEqualTo("close");
            socket.close();
            assertThat(sent.get(60, TimeUnit.SECONDS)).isPositive();
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
