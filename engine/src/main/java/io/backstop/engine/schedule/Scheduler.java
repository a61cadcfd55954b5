package io.backstop.engine.schedule;

import io.backstop.engine.QueueFullException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs generations for one model: at most {@code maxInFlight} at a time (each on its own thread, its
 * forward passes interleaving with the others'), up to {@code queueSize} more waiting in FIFO order,
 * and a {@link QueueFullException} beyond that, so load never turns into unbounded memory or latency.
 */
public final class Scheduler implements AutoCloseable {
    private final ThreadPoolExecutor pool;
    private final int maxInFlight;
    private final int queueSize;

    public Scheduler(String name, int maxInFlight, int queueSize) {
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        if (queueSize < 0) throw new IllegalArgumentException("queueSize must be 0 or more, got " + queueSize);
        this.maxInFlight = maxInFlight;
        this.queueSize = queueSize;
        BlockingQueue<Runnable> queue = queueSize == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queueSize, true);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(maxInFlight, maxInFlight, 0, TimeUnit.MILLISECONDS, queue, r -> {
            Thread t = new Thread(r, "backstop-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues the task, or throws {@link QueueFullException} at once when no slot and no queue place is free. */
    public void submit(Runnable task) {
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            throw new QueueFullException(maxInFlight, queueSize);
        }
    }

    /** Removes a task that has not started yet; true when it was still waiting. */
    public boolean dequeue(Runnable task) {
        return pool.remove(task);
    }

    public int running() {
        return pool.getActiveCount();
    }

    public int waiting() {
        return pool.getQueue().size();
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
