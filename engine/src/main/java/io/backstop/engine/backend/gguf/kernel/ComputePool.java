package io.backstop.engine.backend.gguf.kernel;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A persistent team of compute threads for forward passes. {@link #run} splits a task into chunks that
 * the members claim one by one; the calling thread is member 0 and claims chunks too, so a pool of N
 * runs N-1 threads of its own. Claiming (rather than a fixed share per thread) balances uneven chunks
 * and keeps a pass going when the machine is oversubscribed: a member the OS has not scheduled yet
 * simply claims nothing, and the caller only ever waits for chunks already being computed. Idle members
 * spin briefly (the next matrix product follows within microseconds) and then park. One pool per thread
 * count is shared by every model in the process; sessions take turns through {@link #lock()}, one
 * forward pass at a time. Dispatching allocates nothing.
 */
public final class ComputePool implements AutoCloseable {
    /** One chunk of work, done by whichever member claimed it; {@code worker} indexes per-thread scratch. */
    @FunctionalInterface
    public interface Task {
        void run(int chunk, int chunks, int worker);
    }

    /** About 50 µs of spinning before a member parks. */
    private static final long SPIN_NANOS = 50_000;
    private static final Map<Integer, ComputePool> SHARED = new HashMap<>();

    private final int size;
    private final Thread[] threads;
    private final Member[] members;
    /** Fair: concurrent sessions alternate forward passes instead of one starving the others. */
    private final ReentrantLock turn = new ReentrantLock(true);
    /** The current job in one word: its number (bits 40–63), its chunk count (20–39), the next unclaimed chunk (0–19). */
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private volatile Task task;
    private volatile Throwable failure;
    private volatile boolean closed;
    private int users;
    /** When not null, {@link #run} adds the caller's time waiting for other members' last chunks to [0] (benchmarks). */
    private long[] waits;

    private static final class Member {
        volatile boolean parked;
        /** When its last chunk ended (only while {@link #waits} is set). */
        long chunkEnd;
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

    /** The process-wide pool of this many threads (0 = physical cores); give it back with {@link #close()}. */
    public static synchronized ComputePool shared(int threads) {
        int n = threads > 0 ? threads : CpuTopology.physicalCores();
        ComputePool p = SHARED.computeIfAbsent(n, ComputePool::new);
        p.users++;
        return p;
    }

    /** Members, the caller included: the number of distinct {@code worker} values a task sees. */
    public int size() {
        return size;
    }

    /**
     * Makes {@link #run} add the nanoseconds the caller spends waiting for the other members' last chunks
     * to {@code nanos[0]}, and those the other members spend between their last chunk and the end of the
     * job to {@code nanos[1]} (null stops it). For benchmarks: the caller holds {@link #lock()} meanwhile.
     */
    public void timeWaits(long[] nanos) {
        this.waits = nanos;
    }

    /** Held by a session for the length of one forward pass. */
    public ReentrantLock lock() {
        return turn;
    }

    private static final int CHUNK_BITS = 20;
    private static final long CHUNK_MASK = (1L << CHUNK_BITS) - 1;
    private static final int MAX_CHUNKS = (int) CHUNK_MASK;

    /** Runs chunks {@code [0, n)} of the task and returns when all are done; rethrows the first failure. */
    public void run(Task t, int n) {
        if (n <= 0) return;
        if (n > MAX_CHUNKS) throw new IllegalArgumentException(n + " chunks (at most " + MAX_CHUNKS + ")");
        if (size == 1 || n == 1) {
            for (int c = 0; c < n; c++) t.run(c, n, 0);
            return;
        }
        long jobStart = waits == null ? 0 : System.nanoTime();
        task = t;
        failure = null;
        done.set(0);
        long job = (job(state.get()) + 1) & 0xFFFFFF;
        state.set(job << 40 | (long) n << CHUNK_BITS); // publishes the job: chunk 0 is next
        for (int i = 0; i < members.length; i++) {
            if (members[i].parked) LockSupport.unpark(threads[i]);
        }
        work(job, 0);
        long idleFrom = System.nanoTime(), spinUntil = idleFrom + SPIN_NANOS;
        while (done.get() < n) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else Thread.yield();
        }
        long[] w = waits;
        if (w != null) {
            long end = System.nanoTime();
            w[0] += end - idleFrom;
            for (Member m : members) w[1] += end - Math.max(m.chunkEnd, jobStart);
        }
        Throwable f = failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
    }

    private static long job(long state) {
        return state >>> 40;
    }

    /**
     * Claims and runs chunks of job {@code job} until none is left. The task is read before the claim:
     * a claim succeeds only while the job is unfinished, and the next job's task is written only after it
     * finishes, so a successful claim always runs its own job's task.
     */
    private void work(long job, int worker) {
        while (true) {
            long s = state.get();
            int next = (int) (s & CHUNK_MASK), n = (int) ((s >>> CHUNK_BITS) & CHUNK_MASK);
            if (job(s) != job || next >= n) return;
            Task t = task;
            if (!state.compareAndSet(s, s + 1)) continue;
            try {
                t.run(next, n, worker);
            } catch (Throwable e) {
                failure = e;
            }
            if (worker > 0 && waits != null) members[worker - 1].chunkEnd = System.nanoTime();
            done.incrementAndGet();
        }
    }

    private void loop(int worker) {
        Member me = members[worker - 1];
        long seen = 0;
        while (!closed) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            long job;
            while ((job = job(state.get())) == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    me.parked = true;
                    if (job(state.get()) == seen && !closed) LockSupport.park(this);
                    me.parked = false;
                }
            }
            if (closed) return;
            seen = job;
            work(job, worker);
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

    /** Where chunk {@code chunk} of {@code chunks} starts among {@code n} items, in multiples of {@code grain}. */
    public static int start(int n, int chunk, int chunks, int grain) {
        int units = (n + grain - 1) / grain;
        return Math.min(n, (int) ((long) units * chunk / chunks) * grain);
    }

    /** Where chunk {@code chunk} ends (exclusive). */
    public static int end(int n, int chunk, int chunks, int grain) {
        return start(n, chunk + 1, chunks, grain);
    }
}
