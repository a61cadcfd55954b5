package io.backstop.server.route;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Receives an upstream HTTP body as it arrives and hands it to one reader, chunk by chunk. The reader
 * waits with a timeout, so a silent upstream is noticed (idle timeout) without relying on a blocking read
 * being interruptible. Demand follows the reader: at most {@link #AHEAD} chunks wait, so an upstream that
 * sends faster than the client reads is held back by TCP instead of filling the heap.
 */
final class BodyChunks implements Flow.Subscriber<List<ByteBuffer>> {
    private static final int AHEAD = 8;

    private final BlockingQueue<Next> queue = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;
    private volatile boolean cancelled;

    /** What {@link #next} found. */
    sealed interface Next {}

    record Chunk(List<ByteBuffer> buffers) implements Next {}

    record End() implements Next {}

    record Failed(Throwable error) implements Next {}

    record Silent() implements Next {}

    private static final Next END = new End();
    private static final Next SILENT = new Silent();

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (cancelled) s.cancel();
        else s.request(AHEAD);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        queue.add(new Chunk(buffers));
    }

    @Override
    public void onError(Throwable t) {
        queue.add(new Failed(t));
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    /** The next chunk, the end, a failure, or {@link Silent} when nothing arrived within {@code wait}. */
    Next next(Duration wait) throws InterruptedException {
        Next n = queue.poll(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
        if (n == null) return SILENT;
        if (n instanceof Chunk) subscription.request(1);
        return n;
    }

    /** Stops the transfer (closes the connection). */
    void cancel() {
        cancelled = true;
        Flow.Subscription s = subscription;
        if (s != null) s.cancel();
    }
}
