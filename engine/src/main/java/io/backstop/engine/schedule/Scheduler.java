package io.backstop.engine.schedule;

import io.backstop.engine.QueueFullException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs generations for one model: at most {@code maxInFlight} at a time (each on its own thread, its
 * forward passes interleaving with the others'), up to {@code queueSize} more waiting in FIFO order,
 * and a {@link QueueFullException} beyond that, so load never turns into unbounded memory or latency.
 *
 * <p>Admission is a semaphore of {@code maxInFlight + queueSize} places. A task frees its place
 * through the callback it is given, before it publishes its result, so a caller that submits again as
 * soon as it has a result always finds the place free. A waiting task can be withdrawn through its
 * {@link Ticket}: its place is free at once (an abandoned request must not hold the queue).
 */
public final class Scheduler implements AutoCloseable {
    private final ThreadPoolExecutor pool;
    private final Semaphore places;
    private final AtomicInteger running = new AtomicInteger();
    private final int maxInFlight;
    private final int queueSize;

    public Scheduler(String name, int maxInFlight, int queueSize) {
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        if (queueSize < 0) throw new IllegalArgumentException("queueSize must be 0 or more, got " + queueSize);
        this.maxInFlight = maxInFlight;
        this.queueSize = queueSize;
        this.places = new Semaphore(maxInFlight + queueSize);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(maxInFlight, maxInFlight, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "backstop-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A queued task: withdraw it while it still waits. */
    public interface Ticket {
        /** Removes the task if it has not started; true when it will now never run (its place is free). */
        boolean withdraw();
    }

    /**
     * Queues the task, or throws {@link QueueFullException} at once when every place is taken. The task
     * receives a callback that frees its place; call it before publishing the result (it is also called
     * when the task returns).
     */
    public Ticket submit(Consumer<Runnable> task) {
        if (!places.tryAcquire()) throw new QueueFullException(maxInFlight, queueSize);
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                running.decrementAndGet();
                places.release();
            }
        };
        Runnable job = TaskContext.capture(() -> { // the submitter's trace context goes along to the pool thread
            running.incrementAndGet();
            try {
                task.accept(release);
            } finally {
                release.run();
            }
        });
        try {
            pool.execute(job);
        } catch (RuntimeException e) {
            places.release();
            throw e;
        }
        return () -> {
            if (!pool.remove(job)) return false; // already started (or finished)
            places.release();
            return true;
        };
    }

    public int running() {
        return running.get();
    }

    public int waiting() {
        return Math.max(0, maxInFlight + queueSize - places.availablePermits() - running.get());
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    public int queueSize() {
        return queueSize;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
