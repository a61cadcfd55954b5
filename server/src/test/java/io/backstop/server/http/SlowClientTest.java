package io.backstop.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.RawHttp;
import io.backstop.server.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The slow-client attack: more connections than the server has worker threads, each declaring a body
 * and then trickling it a byte at a time (or trickling its headers). The server must keep answering
 * everyone else, cap the connections of the attacking address, and cut the slow ones.
 */
class SlowClientTest {
    private static final int THREADS = 250; // Javalin's worker pool
    private static final int CAP = 8;

    @Test
    void slowBodiesAndHeadersAreCutWhileHealthAndCompletionsKeepAnswering() throws Exception {
        try (TestServer s = TestServer.start(c -> c.withHttp(c.http().withTimeouts(3, 3).withMaxConnectionsPerClient(CAP)));
             ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor()) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
            HttpRequest healthCheck = HttpRequest.newBuilder(URI.create(s.baseUrl() + "/health")).timeout(Duration.ofSeconds(30)).build();
            assertThat(http.send(healthCheck, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200); // the client is warm
            InetAddress attacker = InetAddress.getByName("127.0.0.2"); // loopback too: another client address
            List<Socket> slowBodies = new ArrayList<>();
            for (int i = 0; i < THREADS + 10; i++) {
                slowBodies.add(open(s, attacker, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{"));
            }
            List<Socket> slowHeaders = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                slowHeaders.add(open(s, InetAddress.getByName("127.0.0.3"), "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nX-Slow: a"));
            }
            List<Socket> live = new CopyOnWriteArrayList<>(slowBodies);
            live.addAll(slowHeaders);
            trickle.scheduleAtFixedRate(() -> live.removeIf(so -> !send(so, "a")), 0, 250, TimeUnit.MILLISECONDS);

            ClientConnectionLimit limit = s.server().connector().getBean(ClientConnectionLimit.class);
            assertThat(limit.openConnections(attacker)).isLessThanOrEqualTo(CAP);

            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                HttpResponse<String> health = http.send(healthCheck, HttpResponse.BodyHandlers.ofString());
                System.out.printf("slow-client attack: %d connections opened; /health answered in %.1f ms%n", slowBodies.size() + slowHeaders.size(),
                        (System.nanoTime() - start) / 1e6);
                assertThat(health.statusCode()).isEqualTo(200);
            }
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                            + "\"max_tokens\":3,\"temperature\":0}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(chat.body()).at("/choices/0/message/content").asText()).isEqualTo(", there was");

            int refused = 0;
            int cut = 0;
            for (Socket so : slowBodies) {
                int status = statusOrReset(so);
                if (status == 408) cut++;
                else {
                    assertThat(status).as("over the per-client cap: 429 or reset").isIn(429, -1);
                    refused++;
                }
            }
            assertThat(cut).as("the ones let in were cut by the body timeout").isPositive();
            assertThat(refused).as("the rest were refused at once").isGreaterThanOrEqualTo(THREADS + 10 - CAP * 4);
            for (Socket so : slowHeaders) assertThat(statusOrReset(so)).as("slow headers are cut by the header timeout").isEqualTo(408);
            for (Socket so : slowBodies) so.close();
            for (Socket so : slowHeaders) so.close();
        }
    }

    /** The cap counts open connections: a client opening one after another, each closed, is never refused. */
    @Test
    void closedConnectionsStopCountingAgainstTheirClient() throws Exception {
        try (TestServer s = TestServer.start(c -> c.withHttp(c.http().withMaxConnectionsPerClient(2)))) {
            ClientConnectionLimit limit = s.server().connector().getBean(ClientConnectionLimit.class);
            InetAddress local = InetAddress.getByName("127.0.0.1");
            for (int i = 0; i < 10; i++) {
                RawHttp.Response r = RawHttp.exchange(s, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                assertThat(r.status()).as("connection %d", i).isEqualTo(200);
                // the server closes its side a moment after the answer: then the connection no longer counts
                TestServer.awaitState(() -> limit.openConnections(local) == 0, "connection " + i + " to stop counting");
            }
        }
    }

    private static Socket open(TestServer s, InetAddress from, String head) throws IOException {
        Socket so = new Socket();
        so.bind(new InetSocketAddress(from, 0));
        so.connect(new InetSocketAddress("127.0.0.1", RawHttp.port(s)), 10_000);
        so.setSoTimeout(60_000);
        send(so, head);
        return so;
    }

    private static boolean send(Socket so, String text) {
        try {
            OutputStream out = so.getOutputStream();
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return true;
        } catch (IOException closed) {
            return false;
        }
    }

    /** The status the server answered, or -1 when it just closed or reset the connection. */
    private static int statusOrReset(Socket so) {
        try {
            return RawHttp.read(so.getInputStream()).status();
        } catch (IOException reset) {
            return -1;
        }
    }
}
