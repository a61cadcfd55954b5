package io.backstop.server.lifecycle;

import io.backstop.server.http.BackstopServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * What SIGTERM (and Ctrl-C) do to a serving process: stop accepting connections, answer requests still
 * waiting in a queue (and new ones on open connections) with 503, let running generations finish for up
 * to the drain timeout, then end the rest (a stream gets an error event and [DONE], a waiting client a
 * 503), stop the server, and exit 0. A second signal skips the rest of the wait.
 */
public final class GracefulShutdown {
    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);
    /** After ending the generations: the time their requests get to write the ending. */
    private static final Duration FINAL_WRITES = Duration.ofSeconds(5);

    private final BackstopServer server;
    private final AutoCloseable models;
    private final Duration drainTimeout;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile Thread drainer;

    public GracefulShutdown(BackstopServer server, AutoCloseable models, Duration drainTimeout) {
        this.server = server;
        this.models = models;
        this.drainTimeout = drainTimeout;
    }

    /** Installs the handlers for SIGTERM and SIGINT: the first drains and exits 0, a second cuts the wait short. */
    public static void onSignals(BackstopServer server, AutoCloseable models, Duration drainTimeout) {
        GracefulShutdown shutdown = new GracefulShutdown(server, models, drainTimeout);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> shutdown.signalled());
        }
    }

    private void signalled() {
        if (!started.compareAndSet(false, true)) {
            Thread t = drainer;
            if (t != null) t.interrupt(); // second signal: stop waiting
            return;
        }
        drainer = new Thread(() -> {
            drain();
            System.exit(0);
        }, "backstop-drain");
        drainer.start();
    }

    /** Drains and stops the server and the models (returns when done). */
    public void drain() {
        InFlight inFlight = server.inFlight();
        System.err.println("backstop: shutting down: finishing " + inFlight.size() + " request(s), at most " + drainTimeout.toSeconds() + " s");
        inFlight.startDraining();
        server.stopAccepting();
        try {
            if (!inFlight.awaitEmpty(drainTimeout)) {
                LOG.warn("drain timeout: ending {} request(s) still generating", inFlight.size());
                inFlight.endAll();
                inFlight.awaitEmpty(FINAL_WRITES);
            }
        } catch (InterruptedException e) {
            inFlight.endAll();
            try {
                inFlight.awaitEmpty(FINAL_WRITES);
            } catch (InterruptedException again) {
                Thread.currentThread().interrupt();
            }
        }
        server.close();
        try {
            models.close();
        } catch (Exception e) {
            LOG.warn("closing the models failed", e);
        }
        System.err.println("backstop: stopped");
    }
}
