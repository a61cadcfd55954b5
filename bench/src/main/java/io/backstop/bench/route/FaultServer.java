package io.backstop.bench.route;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback OpenAI-compatible provider with one fault, for the fallback benchmark: it answers every
 * call the same bad way and keeps a connection open until the client closes it. A plain ServerSocket, so
 * it can do what HTTP servers won't (hang before headers, stall mid-body).
 */
final class FaultServer implements AutoCloseable {
    enum Fault {
        /** 429 + Retry-After: 10 */
        TOO_MANY_REQUESTS,
        /** 503 + Retry-After: 10 */
        UNAVAILABLE,
        /** reads the request and never answers */
        HANG,
        /** sends headers and the start of the body (a stream's role event, or half a JSON answer), then nothing */
        STALL_MID_BODY
    }

    private final Fault fault;
    private final ServerSocket server;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile boolean closed;

    FaultServer(Fault fault) throws IOException {
        this.fault = fault;
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("fault-server-" + fault).start(this::acceptLoop);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
    }

    int calls() {
        return calls.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> handle(s));
            } catch (IOException e) {
                if (!closed) throw new IllegalStateException("fault server stopped", e);
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            String head = readHead(in);
            if (head == null) return;
            int length = 0;
            for (String l : head.split("\r\n")) {
                if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
            }
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            boolean stream = body.replace(" ", "").contains("\"stream\":true");
            calls.incrementAndGet();
            OutputStream out = s.getOutputStream();
            switch (fault) {
                case TOO_MANY_REQUESTS -> status(out, 429);
                case UNAVAILABLE -> status(out, 503);
                case HANG -> holdUntilClosed(s);
                case STALL_MID_BODY -> {
                    if (stream) {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                                + "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n").getBytes(StandardCharsets.UTF_8));
                    } else {
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"id\":\"x\",\"choices\":[")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    out.flush();
                    holdUntilClosed(s);
                }
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private static void status(OutputStream out, int status) throws IOException {
        byte[] b = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}".getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                + "\r\nRetry-After: 10\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
    }

    /** Keeps the connection open until the client closes it (Backstop cancels a losing call) or we stop. */
    private void holdUntilClosed(Socket s) throws IOException {
        s.setSoTimeout(50);
        InputStream in = s.getInputStream();
        while (!closed) {
            try {
                if (in.read() == -1) return;
            } catch (SocketTimeoutException stillOpen) {
                // keep holding
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int c;
        int matched = 0; // of \r\n\r\n
        while ((c = in.read()) != -1) {
            buf.write(c);
            matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : (c == '\r' ? 1 : 0);
            if (matched == 4) return buf.toString(StandardCharsets.US_ASCII);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
