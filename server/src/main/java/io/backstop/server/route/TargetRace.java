package io.backstop.server.route;

import io.backstop.server.config.RouteConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one request from a route's chain of targets. The first target starts; when it fails before any
 * content, the next starts at once; when a remote target has shown no content after the route's
 * {@code fallback_after_ms}, the next starts beside it (a hedge). The targets race for one {@link Gate}:
 * the first with content answers alone, and the others are stopped through the hooks they registered (a
 * remote one closes its connection, a local one cancels its generation; a queued one leaves the queue).
 * Each target runs on a virtual thread of its own; the request's thread only decides, so a stuck target
 * never holds up the decision, and it returns only once every target has ended, so none touches the
 * request after its response is complete.
 */
public final class TargetRace {
    private static final Logger LOG = LoggerFactory.getLogger(TargetRace.class);
    private static final long NEVER = Long.MAX_VALUE;

    /** Runs one target: until its first content, then through the gate (or back out when the gate is lost). */
    public interface Runner {
        void run(RouteConfig.Target target, Gate gate) throws Exception;
    }

    /** Why a target did not answer. */
    public record Failure(RouteConfig.Target target, Throwable error) {}

    private sealed interface Event {}

    private record Won(Contender contender) implements Event {}

    private record Ended(Contender contender, Throwable error) implements Event {}

    private final RouteConfig route;
    private final String requestId;
    private final Runner runner;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicReference<Contender> winner = new AtomicReference<>();
    private final List<Contender> started = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private int running;
    private boolean answered;
    private Throwable answerError;

    public TargetRace(RouteConfig route, String requestId, Runner runner) {
        this.route = route;
        this.requestId = requestId;
        this.runner = runner;
    }

    /**
     * Runs the race until the winner has written its answer.
     *
     * @return the failures of every target that ran, in the order they ended, when none answered; empty when one did
     */
    public List<Failure> serve() {
        long hedgeAt = start();
        while (true) {
            Event event;
            try {
                long wait = hedgeAt == NEVER ? NEVER : hedgeAt - System.nanoTime();
                event = wait == NEVER ? events.take() : events.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) { // the server is stopping
                return stopAll();
            }
            if (event == null) { // the hedge: the latest target has shown no content in time
                hedgeAt = NEVER;
                if (winner.get() == null && started.size() < route.targets().size()) {
                    LOG.warn("request {}: route '{}': {} sent no content within {} ms; starting {} beside it", requestId, route.name(),
                            latest().target.label(), route.fallbackAfter().toMillis(), next().label());
                    hedgeAt = start();
                }
                continue;
            }
            switch (event) {
                case Won w -> {
                    hedgeAt = NEVER;
                    for (Contender c : started) if (c != w.contender()) c.cancel();
                    if (started.size() > 1) LOG.info("request {}: route '{}' answered by {}", requestId, route.name(), w.contender().target.label());
                }
                case Ended e -> {
                    running--;
                    Contender c = e.contender();
                    if (c == winner.get()) {
                        answered = true;
                        answerError = e.error();
                    }
                    if (answered && running == 0) { // stopped losers end within a token; none may touch the request after it completes
                        if (answerError != null) throw unchecked(answerError);
                        return List.of();
                    }
                    if (winner.get() != null) continue;
                    if (e.error() != null) failures.add(new Failure(c.target, e.error()));
                    else failures.add(new Failure(c.target, new IllegalStateException(c.target.label() + " ended without an answer")));
                    if (running > 0) {
                        LOG.warn("request {}: route '{}': {} failed ({}); {} still running", requestId, route.name(), c.target.label(),
                                reason(e.error()), latest().target.label());
                    } else if (started.size() < route.targets().size()) {
                        LOG.warn("request {}: route '{}': {} failed ({}); falling back to {}", requestId, route.name(), c.target.label(),
                                reason(e.error()), next().label());
                        hedgeAt = start();
                    } else {
                        LOG.warn("request {}: route '{}': {} failed ({}); no target left", requestId, route.name(), c.target.label(), reason(e.error()));
                        return failures;
                    }
                }
            }
        }
    }

    /**
     * Stops every target and waits for them to end: a winner ends its answer itself (a stream with an
     * error event and [DONE]), and the response must not complete while anyone still writes.
     */
    private List<Failure> stopAll() {
        started.forEach(Contender::cancel);
        while (running > 0) {
            try {
                if (events.take() instanceof Ended) running--;
            } catch (InterruptedException again) {
                // keep waiting: every target is already ending
            }
        }
        Thread.currentThread().interrupt();
        if (winner.get() != null) return List.of();
        failures.add(new Failure(latest().target, new UpstreamFailure(latest().target.provider(), UpstreamFailure.Kind.CANCELLED, 0, null,
                null, "the server stopped serving this request")));
        return failures;
    }

    /** Starts the next target; returns when to hedge it (remote targets only: a local one answers or fails by itself). */
    private long start() {
        RouteConfig.Target target = next();
        Contender c = new Contender(target);
        started.add(c);
        running++;
        Thread.ofVirtual().name("route-" + requestId + "-" + target.label()).start(c::run);
        Duration hedge = route.fallbackAfter();
        return hedge == null || target.isLocal() || started.size() == route.targets().size() ? NEVER : System.nanoTime() + hedge.toNanos();
    }

    private RouteConfig.Target next() {
        return route.targets().get(started.size());
    }

    private Contender latest() {
        return started.get(started.size() - 1);
    }

    private static String reason(Throwable t) {
        return t == null ? "no answer" : t instanceof UpstreamFailure u ? u.getMessage() + " [" + u.kind() + "]" : t.getMessage();
    }

    private static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** One running target and its gate. */
    private final class Contender implements Gate {
        final RouteConfig.Target target;
        private final List<Runnable> stops = new ArrayList<>();
        private boolean cancelled;

        Contender(RouteConfig.Target target) {
            this.target = target;
        }

        void run() {
            Throwable error = null;
            try {
                runner.run(target, this);
            } catch (Throwable t) {
                error = t;
            }
            events.add(new Ended(this, error));
        }

        @Override
        public boolean enter() {
            synchronized (this) { // with cancel(): a target stopped once can never win afterwards
                if (cancelled || !winner.compareAndSet(null, this)) return false;
            }
            events.add(new Won(this));
            return true;
        }

        @Override
        public void onCancel(Runnable stop) {
            synchronized (this) {
                if (!cancelled) {
                    stops.add(stop);
                    return;
                }
            }
            stop.run();
        }

        void cancel() {
            List<Runnable> toRun;
            synchronized (this) {
                if (cancelled) return;
                cancelled = true;
                toRun = List.copyOf(stops);
            }
            toRun.forEach(Runnable::run);
        }
    }
}
