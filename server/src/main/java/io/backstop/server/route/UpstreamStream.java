package io.backstop.server.route;

import io.backstop.server.route.UpstreamFailure.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * An upstream event stream read event by event, with the idle timeout, the deadline and a bound on the
 * length of a line enforced. Only well-formed events come out: an error event or one that is not JSON is
 * a failure of the stream, so its text never reaches a client verbatim.
 */
public final class UpstreamStream implements AutoCloseable {
    /** Longest stream line accepted: a chunk is a few hundred bytes, one with tool calls or logprobs a few KB. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    private final String provider;
    private final BodyChunks body;
    private final Duration idle;
    private final Deadline deadline;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(512);
    private List<ByteBuffer> buffers = List.of();
    private int index;
    private boolean ended;
    private boolean done;

    UpstreamStream(String provider, BodyChunks body, Duration idle, Deadline deadline) {
        this.provider = provider;
        this.body = body;
        this.idle = idle;
        this.deadline = deadline;
    }

    /** The next event's data (a JSON object's text), or null when the stream ended with [DONE]. */
    public String nextData() {
        while (!done) {
            String l = nextLine();
            if (l == null) throw fail(Kind.INVALID_RESPONSE, "stream ended without [DONE]");
            if (!l.startsWith("data:")) continue; // blank separators, comments, event: lines
            String data = l.substring(5).trim();
            if (data.equals("[DONE]")) {
                done = true;
                return null;
            }
            switch (UpstreamEvents.check(data)) {
                case ERROR -> throw fail(Kind.RETRYABLE, "sent an error event");
                case NOT_JSON -> throw fail(Kind.INVALID_RESPONSE, "sent a stream event that is not JSON");
                case OK -> {
                    return data;
                }
            }
        }
        return null;
    }

    /** The next line without its end, or null at the end of the body. */
    private String nextLine() {
        while (true) {
            for (; index < buffers.size(); index++) {
                ByteBuffer b = buffers.get(index);
                while (b.hasRemaining()) {
                    byte c = b.get();
                    if (c == '\n') return takeLine();
                    if (line.size() >= MAX_LINE_BYTES) throw fail(Kind.INVALID_RESPONSE, "sent a stream line longer than " + MAX_LINE_BYTES + " bytes");
                    line.write(c);
                }
            }
            if (ended) return line.size() > 0 ? takeLine() : null;
            BodyChunks.Next next;
            try {
                next = body.next(deadline.cap(idle));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail(Kind.CANCELLED, "stopped: another target answered first");
            }
            switch (next) {
                case BodyChunks.Silent s -> throw fail(deadline.expired() ? Kind.DEADLINE : Kind.TIMEOUT,
                        deadline.expired() ? "stream passed the request deadline" : "stream idle for more than " + idle.toMillis() + " ms");
                case BodyChunks.Failed f -> throw fail(Kind.RETRYABLE, "stream broke (" + f.error().getClass().getSimpleName() + ")");
                case BodyChunks.End e -> ended = true;
                case BodyChunks.Chunk c -> {
                    buffers = c.buffers();
                    index = 0;
                }
            }
        }
    }

    private String takeLine() {
        int n = line.size();
        String s = line.toString(StandardCharsets.UTF_8);
        line.reset();
        return n > 0 && s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** A failure of this stream, found by its reader. */
    public UpstreamFailure failure(Kind kind, String what) {
        return fail(kind, what);
    }

    private UpstreamFailure fail(Kind kind, String what) {
        body.cancel();
        done = true;
        return new UpstreamFailure(provider, kind, 0, null, deadline, provider + " " + what);
    }

    @Override
    public void close() {
        body.cancel();
    }
}
