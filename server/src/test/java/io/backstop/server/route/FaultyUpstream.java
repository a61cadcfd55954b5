package io.backstop.server.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenAI-compatible HTTP server on loopback that misbehaves on demand: each call takes the next
 * scripted fault (then the default), and every call is recorded (time, path, body, Authorization).
 * Built on a plain ServerSocket so it can do what HTTP libraries won't: hang, stall, reset. While it
 * holds a connection open it notices when the client closes it ({@link #awaitClientClosed}), and
 * {@link #release} lets a test decide when a held answer goes on — ordering by latch, not by sleep.
 */
public final class FaultyUpstream implements AutoCloseable {
    public enum Mode {
        OK, STATUS, MALFORMED_JSON, WRONG_CONTENT_TYPE,
        /** accepts the request and never answers */
        HANG_BEFORE_FIRST_BYTE,
        /** two content events, then silence / a TCP reset once released */
        STALL_MID_STREAM, RESET_MID_STREAM,
        /** non-streaming: headers and half of the JSON body, then silence */
        STALL_MID_BODY,
        /** two content events, then an error event / a non-JSON event / a line longer than the route accepts */
        ERROR_AFTER_CONTENT, GARBAGE_AFTER_CONTENT, LONG_LINE_AFTER_CONTENT,
        /** a stream whose first event is an error */
        ERROR_BEFORE_CONTENT,
        /** streaming: headers and a role-only event, then nothing until released; non-streaming: nothing until released */
        HOLD
    }

    public record Fault(Mode mode, int status, String retryAfter) {
        public static Fault ok() {
            return new Fault(Mode.OK, 200, null);
        }

        public static Fault status(int status) {
            return new Fault(Mode.STATUS, status, null);
        }

        public static Fault status(int status, String retryAfter) {
            return new Fault(Mode.STATUS, status, retryAfter);
        }

        public static Fault of(Mode mode) {
            return new Fault(mode, 200, null);
        }
    }

    /** @param traceparent the W3C trace context the caller sent, or null */
    public record Call(long nanos, String path, JsonNode body, String authorization, String traceparent) {}

    public static final String CONTENT = "Hello from the remote model";
    static final String SECRET_BODY = "upstream-internal-detail-7731";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerSocket server;
    private volatile List<String> pieces;
    private final CountDownLatch release = new CountDownLatch(1);
    private final Semaphore received = new Semaphore(0);
    private final Semaphore clientClosed = new Semaphore(0);
    private final Deque<Fault> script = new ArrayDeque<>();
    private volatile Fault fallback = Fault.ok();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public FaultyUpstream() throws IOException {
        this(pieces());
    }

    /** An upstream that streams these pieces (and answers their concatenation when not streaming). */
    public FaultyUpstream(List<String> pieces) throws IOException {
        this.pieces = List.copyOf(pieces);
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "faulty-upstream");
        t.setDaemon(true);
        t.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
    }

    /** From now on, streams these pieces (and answers their concatenation when not streaming). */
    public FaultyUpstream answering(String... pieces) {
        this.pieces = List.of(pieces);
        return this;
    }

    public synchronized FaultyUpstream then(Fault... faults) {
        script.addAll(List.of(faults));
        return this;
    }

    public FaultyUpstream always(Fault f) {
        fallback = f;
        return this;
    }

    public synchronized void reset() {
        script.clear();
        fallback = Fault.ok();
        calls.clear();
    }

    public List<Call> calls() {
        return new ArrayList<>(calls);
    }

    public int callCount() {
        return calls.size();
    }

    /** Lets held answers (HOLD, RESET_MID_STREAM) go on. */
    public void release() {
        release.countDown();
    }

    /** Waits until {@code n} calls have arrived (the limit only stops a broken test from hanging). */
    public void awaitCalls(int n) throws InterruptedException {
        if (!received.tryAcquire(n, 30, TimeUnit.SECONDS)) throw new AssertionError("expected " + n + " calls, got " + callCount());
        received.release(n);
    }

    /** Waits until the client has closed {@code n} connections that this upstream was holding open. */
    public boolean awaitClientClosed(int n) throws InterruptedException {
        return clientClosed.tryAcquire(n, 30, TimeUnit.SECONDS);
    }

    public String content() {
        return String.join("", pieces);
    }

    private synchronized Fault next() {
        return script.isEmpty() ? fallback : script.poll();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread t = new Thread(() -> handle(s), "faulty-upstream-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) e.printStackTrace();
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            String head = readHead(in);
            if (head == null) return;
            String[] lines = head.split("\r\n");
            String path = lines[0].split(" ")[1];
            int length = 0;
            String auth = null;
            String traceparent = null;
            for (String l : lines) {
                String lower = l.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
                if (lower.startsWith("authorization:")) auth = l.substring(14).trim();
                if (lower.startsWith("traceparent:")) traceparent = l.substring(12).trim();
            }
            byte[] body = in.readNBytes(length);
            JsonNode json = JSON.readTree(body);
            calls.add(new Call(System.nanoTime(), path, json, auth, traceparent));
            received.release();
            respond(s, s.getOutputStream(), next(), path.endsWith("/chat/completions"), json.path("stream").asBoolean(false),
                    json.path("stream_options").path("include_usage").asBoolean(false));
        } catch (IOException ignored) {
            // the client went away, or the test closed us
        }
    }

    private void respond(Socket s, OutputStream out, Fault f, boolean chat, boolean stream, boolean usage) throws IOException {
        switch (f.mode()) {
            case STATUS -> {
                String body = "{\"error\":{\"message\":\"" + SECRET_BODY + "\",\"type\":\"x\"}}";
                write(out, f.status(), "application/json", f.retryAfter(), body);
            }
            case HANG_BEFORE_FIRST_BYTE -> holdUntilClientCloses(s, false);
            case MALFORMED_JSON -> write(out, 200, "application/json", null, "{\"choices\": [ {not json");
            case WRONG_CONTENT_TYPE -> write(out, 200, "text/html", null, "<html>" + SECRET_BODY + "</html>");
            case OK -> answer(out, chat, stream, usage);
            case HOLD -> {
                if (stream) {
                    startStream(out);
                    event(out, chat ? "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}"
                            : chunk(false, "", null));
                }
                if (holdUntilClientCloses(s, true)) {
                    if (stream) {
                        for (String piece : pieces) event(out, chunk(chat, piece, null));
                        event(out, chunk(chat, "", "stop"));
                        done(out);
                    } else {
                        write(out, 200, "application/json", null, whole(chat));
                    }
                }
            }
            case STALL_MID_BODY -> {
                byte[] b = whole(chat).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(b, 0, b.length / 2);
                out.flush();
                holdUntilClientCloses(s, false);
            }
            case ERROR_BEFORE_CONTENT -> {
                startStream(out);
                event(out, "{\"error\":{\"message\":\"" + SECRET_BODY + "\"}}");
                done(out);
            }
            case STALL_MID_STREAM, RESET_MID_STREAM, ERROR_AFTER_CONTENT, GARBAGE_AFTER_CONTENT, LONG_LINE_AFTER_CONTENT -> {
                startStream(out);
                event(out, chunk(chat, pieces.get(0), null));
                event(out, chunk(chat, pieces.get(1), null));
                switch (f.mode()) {
                    case RESET_MID_STREAM -> {
                        if (holdUntilClientCloses(s, true)) {
                            s.setSoLinger(true, 0); // close with RST
                            s.close();
                        }
                    }
                    case ERROR_AFTER_CONTENT -> {
                        event(out, "{\"error\":{\"message\":\"" + SECRET_BODY + "\",\"type\":\"server_error\"}}");
                        done(out);
                    }
                    case GARBAGE_AFTER_CONTENT -> {
                        event(out, "{\"choices\": [{\"delta\": " + SECRET_BODY);
                        done(out);
                    }
                    case LONG_LINE_AFTER_CONTENT -> {
                        event(out, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + SECRET_BODY + "x".repeat(UpstreamStream.MAX_LINE_BYTES) + "\"}}]}");
                        done(out);
                    }
                    default -> holdUntilClientCloses(s, false);
                }
            }
        }
    }

    private void answer(OutputStream out, boolean chat, boolean stream, boolean usage) throws IOException {
        if (stream) {
            startStream(out);
            for (String piece : pieces) event(out, chunk(chat, piece, null));
            event(out, chunk(chat, "", "stop"));
            if (usage) { // as OpenAI does with stream_options.include_usage: a last event with no choices
                event(out, "{\"id\":\"up-1\",\"object\":\"" + (chat ? "chat.completion.chunk" : "text_completion")
                        + "\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":" + pieces.size()
                        + ",\"total_tokens\":" + (3 + pieces.size()) + "}}");
            }
            done(out);
        } else {
            write(out, 200, "application/json", null, whole(chat));
        }
    }

    /**
     * Keeps the connection open until the client closes it (counted), this upstream closes, or — when
     * {@code untilReleased} — a test calls {@link #release}. Returns true when released.
     */
    private boolean holdUntilClientCloses(Socket s, boolean untilReleased) throws IOException {
        s.setSoTimeout(20);
        InputStream in = s.getInputStream();
        while (!closed) {
            if (untilReleased && release.getCount() == 0) return true;
            try {
                if (in.read() == -1) break;
            } catch (SocketTimeoutException stillOpen) {
                continue;
            } catch (IOException reset) {
                break;
            }
        }
        if (!closed) clientClosed.release();
        return false;
    }

    static List<String> pieces() {
        return List.of("Hello", " from", " the", " remote", " model");
    }

    private static void startStream(OutputStream out) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void done(OutputStream out) throws IOException {
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String chunk(boolean chat, String text, String finish) {
        String fr = finish == null ? "null" : "\"" + finish + "\"";
        return chat
                ? "{\"id\":\"up-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" + quote(text) + "},\"finish_reason\":" + fr + "}]}"
                : "{\"id\":\"up-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"text\":" + quote(text) + ",\"finish_reason\":" + fr + "}]}";
    }

    private String whole(boolean chat) {
        return chat
                ? "{\"id\":\"up-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + quote(content()) + "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}"
                : "{\"id\":\"up-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"gpt-x\",\"choices\":[{\"index\":0,\"text\":" + quote(content()) + ",\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}";
    }

    private static String quote(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(OutputStream out, int status, String type, String retryAfter, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " X\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n"
                + (retryAfter == null ? "" : "Retry-After: " + retryAfter + "\r\n") + "\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            buf.write(c);
            int n = buf.size();
            byte[] a = buf.toByteArray();
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                return buf.toString(StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }
}
