package io.backstop.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.FinishReason;
import io.backstop.engine.Model;
import io.backstop.server.RawHttp;
import io.backstop.server.TestServer;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A non-streaming client that hangs up cancels its generations, running or still queued. */
class ClientDisconnectTest {

    private static void sendAndHangUp(TestServer s, String body, String requestId, BooleanSupplier before) throws Exception {
        try (Socket socket = RawHttp.connect(s)) {
            OutputStream out = socket.getOutputStream();
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\nX-Request-Id: " + requestId + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            TestServer.awaitState(before, "the request to be in the engine");
        } // closing the socket is the hang-up
    }

    private static String longChat(int n) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":500,\"n\":" + n
                + ",\"temperature\":0,\"logit_bias\":{\"1\":-100,\"2\":-100}}";
    }

    @Test
    void aHungUpRequestLeavesTheQueueAtOnce() throws Exception {
        try (TestServer s = TestServer.start(c -> TestServer.config(1, 4))) {
            Model model = s.registry().get(TestServer.MODEL);
            try (AutoCloseable held = TestServer.holdASlot(model)) {
                sendAndHangUp(s, longChat(1), "hang-up-queued", () -> model.waiting() == 1);
                TestServer.awaitState(() -> model.waiting() == 0, "the abandoned request to leave the queue"); // while the slot is still held
                TestServer.awaitState(() -> s.server().inFlight().size() == 0, "the request to be over");
            }
            TestServer.awaitState(() -> model.running() == 0, "the engine to be idle");
            RequestLog.Entry e = entries(s, "hang-up-queued", 1).get(0);
            assertThat(e.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(e.usage().completionTokens()).isZero();
        }
    }

    @Test
    void aHungUpRequestStopsItsRunningGeneration() throws Exception {
        try (TestServer s = TestServer.start(c -> TestServer.config(1, 32))) {
            Model model = s.registry().get(TestServer.MODEL);
            // 16 choices of 500 tokens run one after the other: the hang-up lands while they run
            sendAndHangUp(s, longChat(16), "hang-up-running", () -> model.running() == 1);
            TestServer.awaitState(() -> model.running() == 0 && model.waiting() == 0, "the engine to be idle");
            List<RequestLog.Entry> entries = entries(s, "hang-up-running", 16);
            assertThat(entries).anySatisfy(e -> assertThat(e.finishReason()).isEqualTo(FinishReason.CANCELLED));
            assertThat(entries.stream().mapToInt(e -> e.usage().completionTokens()).sum()).isLessThan(16 * 500);
        }
    }

    /** The request's finished generations, once all {@code n} are logged. */
    private static List<RequestLog.Entry> entries(TestServer s, String requestId, int n) throws InterruptedException {
        TestServer.awaitState(() -> s.server().requestLog().entries().stream().filter(e -> e.requestId().equals(requestId)).count() == n,
                n + " generations of the request to be logged");
        return s.server().requestLog().entries().stream().filter(e -> e.requestId().equals(requestId)).toList();
    }
}
