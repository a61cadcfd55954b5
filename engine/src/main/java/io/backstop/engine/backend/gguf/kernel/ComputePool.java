package io.backstop.engine.backend.gguf.kernel;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A persistent team of compute threads for forward passes. {@link #run} hands one task to every member;
 * the calling thread is member 0 and works too, so a pool of N runs N-1 threads of its own. Idle
 * members spin briefly (the next matrix product of a forward pass follows within microseconds) and then
 * park. One pool per thread count is shared by every model in the process, so models never compete with
 * pools of their own; sessions take turns through {@link #lock()}, one forward pass at a time.
 */
public final class ComputePool implements AutoCloseable {
    /** Work for every member: member {@code worker} of {@code workers} does its share. */
    @FunctionalInterface
    public interface Task {
        void run(int worker, int workers);
    }

    /** About 50 µs of spinning before a member parks. */
    private static final int SPIN_NANOS = 50_000;
    private static final Map<Integer, ComputePool> SHARED = new HashMap<>();

    private final int size;
    private final Thread[] threads;
    private final Member[] members;
    /** Fair: concurrent sessions alternate forward passes instead of one starving the others. */
    private final ReentrantLock turn = new ReentrantLock(true);
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile Task task;
    private volatile boolean closed;
    private volatile Thread caller;
    private volatile Throwable failure;
    private int users;

    private static final class Member {
        volatile boolean parked;
    }

    private ComputePool(int size) {
        this.size = size;
        this.threads = new Thread[size - 1];
        this.members = new Member[size - 1];
        for (int i = 0; i < threads.length; i++) {
            int worker = i + 1;
            members[i] = new Member();
            threads[i] = Thread.ofPlatform().daemon().name("backstop-compute-" + worker + "/" + size).unstarted(() -> loop(worker));
            threads[i].start();
        }
    }

    /** The process-wide pool of this many threads (0 = physical cores); release it with {@link #close()}. */
    public static synchronized ComputePool shared(int threads) {
        int n = threads > 0 ? threads : CpuTopology.physicalCores();
        ComputePool p = SHARED.computeIfAbsent(n, ComputePool::new);
        p.users++;
        return p;
    }

    public int size() {
        return size;
    }

    /** Held by a session for the length of one forward pass. */
    public ReentrantLock lock() {
        return turn;
    }

    /** Runs the task on every member and returns when all are done; rethrows the first failure. */
    public void run(Task t) {
        if (size == 1) {
            t.run(0, 1);
            return;
        }
        task = t;
        failure = null;
        caller = Thread.currentThread();
        pending.set(size - 1);
        generation = generation + 1; // only the lock holder writes it
        for (int i = 0; i < members.length; i++) {
            if (members[i].parked) LockSupport.unpark(threads[i]);
        }
        try {
            t.run(0, size);
        } catch (RuntimeException | Error e) {
            awaitMembers();
            throw e;
        }
        awaitMembers();
        Throwable f = failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
    }

    private void awaitMembers() {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (pending.get() > 0) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 20_000);
        }
    }

    private void loop(int worker) {
        Member me = members[worker - 1];
        int seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    me.parked = true;
                    if (generation == seen && !closed) LockSupport.park(this);
                    me.parked = false;
                }
            }
            if (closed) return;
            seen = generation;
            try {
                task.run(worker, size);
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    /** Gives the pool back; the last user stops its threads. */
    @Override
    public void close() {
        synchronized (ComputePool.class) {
            if (--users > 0) return;
            SHARED.remove(size, this);
        }
        closed = true;
        for (Thread t : threads) LockSupport.unpark(t);
    }

    /** The contiguous share {@code [start, end)} of {@code n} items for a member, in multiples of {@code grain}. */
    public static int start(int n, int worker, int workers, int grain) {
        int units = (n + grain - 1) / grain;
        return Math.min(n, (int) ((long) units * worker / workers) * grain);
    }

    public static int end(int n, int worker, int workers, int grain) {
        return start(n, worker + 1, workers, grain);
    }
}
