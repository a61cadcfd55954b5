package io.backstop.server.route;

import io.backstop.server.route.UpstreamFailure.Kind;
import java.time.Duration;

/** An upstream event stream read event by event, with the idle timeout and the deadline enforced. */
public final class UpstreamStream implements AutoCloseable {
    private final String provider;
    private final LineSubscriber lines;
    private final Duration idle;
    private final Deadline deadline;
    private boolean done;

    UpstreamStream(String provider, LineSubscriber lines, Duration idle, Deadline deadline) {
        this.provider = provider;
        this.lines = lines;
        this.idle = idle;
        this.deadline = deadline;
    }

    /** The next event's data (a JSON text), or null when the stream ended with [DONE]. */
    public String nextData() {
        while (!done) {
            LineSubscriber.Next next;
            try {
                next = lines.next(deadline.cap(idle));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw fail(Kind.DEADLINE, "interrupted");
            }
            switch (next) {
                case LineSubscriber.Silent s -> throw fail(deadline.expired() ? Kind.DEADLINE : Kind.TIMEOUT,
                        deadline.expired() ? "stream passed the request deadline" : "stream idle for more than " + idle.toMillis() + " ms");
                case LineSubscriber.Failed f -> throw fail(Kind.RETRYABLE, "stream broke (" + f.error().getClass().getSimpleName() + ")");
                case LineSubscriber.End e -> throw fail(Kind.INVALID_RESPONSE, "stream ended without [DONE]");
                case LineSubscriber.Line l -> {
                    String line = l.text();
                    if (!line.startsWith("data:")) continue; // blank separators, comments, event: lines
                    String data = line.substring(5).trim();
                    if (data.equals("[DONE]")) {
                        done = true;
                        return null;
                    }
                    return data;
                }
            }
        }
        return null;
    }

    /** A failure of this stream, found by its reader (e.g. an error event). */
    public UpstreamFailure failure(Kind kind, String what) {
        return fail(kind, what);
    }

    private UpstreamFailure fail(Kind kind, String what) {
        lines.cancel();
        done = true;
        return new UpstreamFailure(provider, kind, 0, null, deadline, provider + " " + what);
    }

    @Override
    public void close() {
        lines.cancel();
    }
}
