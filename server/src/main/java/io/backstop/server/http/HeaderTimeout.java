package io.backstop.server.http;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.util.NanoTime;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Bounds the time to receive a request's headers, from their first byte (Jetty's idle timeout only
 * bounds the silence between two bytes, so a client sending one byte every few seconds could hold a
 * connection for hours). A sweep on Jetty's scheduler answers 408 and closes connections whose headers
 * are still incomplete after the limit. Between requests a keep-alive connection is left to Jetty's idle timeout.
 */
final class HeaderTimeout extends AbstractLifeCycle implements Connection.Listener {
    private final long limitNanos;
    private final long sweepMillis;
    private final Scheduler scheduler;
    private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();
    private final byte[] refusal = HttpErrors.raw(HttpErrors.of(408, "header_timeout",
            "the request headers did not arrive in time (server.header_timeout_seconds)"), "Request Timeout");
    private volatile Scheduler.Task task;

    HeaderTimeout(Duration limit, Scheduler scheduler) {
        this.limitNanos = limit.toNanos();
        this.sweepMillis = Math.max(100, limit.toMillis() / 4);
        this.scheduler = scheduler;
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        Scheduler.Task t = task;
        if (t != null) t.cancel();
    }

    private void schedule() {
        if (isRunning() || isStarting()) task = scheduler.schedule(this::sweep, sweepMillis, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        try {
            for (HttpConnection c : open) {
                HttpParser p = c.getParser();
                if (!p.isStart() && p.inHeaderState() && NanoTime.since(p.getBeginNanoTime()) > limitNanos) {
                    try {
                        c.getEndPoint().flush(ByteBuffer.wrap(refusal));
                    } catch (Exception ignored) {
                        // closing anyway
                    }
                    c.getEndPoint().close();
                }
            }
        } finally {
            schedule();
        }
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection c) open.add(c);
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof HttpConnection c) open.remove(c);
    }
}
