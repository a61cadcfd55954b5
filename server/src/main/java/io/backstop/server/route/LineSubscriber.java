package io.backstop.server.route;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Receives a streamed HTTP body and hands it over line by line. The reader waits with a timeout, so a
 * silent upstream is noticed (idle timeout) without relying on a blocking read being interruptible.
 */
final class LineSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    private static final Object END = new Object();

    private final BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private volatile Flow.Subscription subscription;

    /** What {@link #next} found. */
    sealed interface Next {}

    record Line(String text) implements Next {}

    record End() implements Next {}

    record Failed(Throwable error) implements Next {}

    record Silent() implements Next {}

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer b : buffers) {
            while (b.hasRemaining()) {
                byte c = b.get();
                if (c == '\n') {
                    lines.add(partial.toString(StandardCharsets.UTF_8).replace("\r", ""));
                    partial.reset();
                } else {
                    partial.write(c);
                }
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        lines.add(t);
    }

    @Override
    public void onComplete() {
        if (partial.size() > 0) lines.add(partial.toString(StandardCharsets.UTF_8));
        lines.add(END);
    }

    Next next(Duration wait) throws InterruptedException {
        Object o = lines.poll(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
        if (o == null) return new Silent();
        if (o == END) return new End();
        if (o instanceof Throwable t) return new Failed(t);
        return new Line((String) o);
    }

    /** Stops the transfer (closes the connection). */
    void cancel() {
        Flow.Subscription s = subscription;
        if (s != null) s.cancel();
    }
}
