package io.backstop.server.observe.judge;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where sampled answers wait for their judge: a fixed number of workers and a bounded queue. Offering
 * never blocks; when the queue is full the sample is dropped (the caller counts it), so judging can
 * never delay or pile up behind the answers it scores.
 */
public final class JudgeQueue implements AutoCloseable {
    private final ThreadPoolExecutor pool;

    public JudgeQueue(int workers, int capacity) {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(capacity), r -> {
            Thread t = new Thread(r, "backstop-judge-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** Queues the job; false (and nothing queued) when the queue is full or closed. */
    public boolean offer(Runnable job) {
        try {
            pool.execute(job);
            return true;
        } catch (RejectedExecutionException full) {
            return false;
        }
    }

    /** Samples waiting for a worker. */
    public int waiting() {
        return pool.getQueue().size();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
