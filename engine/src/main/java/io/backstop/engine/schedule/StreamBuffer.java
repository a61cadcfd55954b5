package io.backstop.engine.schedule;

import io.backstop.engine.GenerationListener;
import io.backstop.engine.TokenLogprob;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands one stream's events from the compute thread to its listener on a thread of its own, through a
 * bounded ring: the step loop never waits for a client. When the ring is full (the client reads slower
 * than the model writes) or the listener throws (the client is gone), further events throw at once, so
 * the generation ends as cancelled, as when a listener throws on the generating thread. The final
 * callback is always delivered, after every event before it.
 */
final class StreamBuffer implements GenerationListener {
    private static final byte TEXT = 0, TOKEN = 1, PROMPT = 2;
    static final String SLOW = "the client did not keep up with the stream";

    private final GenerationListener listener;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition(), drained = lock.newCondition();
    private final byte[] kinds;
    private final int[] ints;
    private final Object[] objects;
    private int head, size;
    /** The delivery thread is inside a listener call. */
    private boolean delivering;
    private Runnable last;
    private volatile boolean broken;
    private volatile String brokenReason;

    StreamBuffer(GenerationListener listener, int capacity, String name) {
        this.listener = listener;
        this.kinds = new byte[capacity];
        this.ints = new int[capacity];
        this.objects = new Object[capacity];
        Thread.ofVirtual().name(name).start(this::deliver);
    }

    /** Why the stream ended early (slow or gone client), or null. */
    String brokenReason() {
        return brokenReason;
    }

    @Override
    public void onText(String delta) {
        put(TEXT, 0, delta);
    }

    @Override
    public void onToken(int tokenId, TokenLogprob logprob) {
        put(TOKEN, tokenId, logprob);
    }

    @Override
    public void onPromptScored(int[] promptTokenIds, List<TokenLogprob> promptLogprobs) {
        put(PROMPT, 0, new Object[] {promptTokenIds, promptLogprobs});
    }

    private void put(byte kind, int i, Object o) {
        if (broken) throw new IllegalStateException("stream closed: " + brokenReason);
        lock.lock();
        try {
            if (size == kinds.length) {
                breakWith(SLOW + " (" + kinds.length + " events waiting)");
                throw new IllegalStateException("stream closed: " + brokenReason);
            }
            int at = (head + size) % kinds.length;
            kinds[at] = kind;
            ints[at] = i;
            objects[at] = o;
            size++;
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    private void breakWith(String reason) {
        if (!broken) {
            brokenReason = reason;
            broken = true;
        }
    }

    /** Runs {@code done} on the delivery thread once every event before it is delivered (or dropped after a failure). */
    void finish(Runnable done) {
        lock.lock();
        try {
            last = done;
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every event put so far has reached the listener (or the stream broke), at most {@code nanos}: the
     * step loop lets a stream's first token go out before the next step takes the cores (on a host whose cores all
     * compute, the write otherwise waits for the scheduler to preempt one, up to several milliseconds).
     */
    void awaitDelivered(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while ((size > 0 || delivering) && !broken && left > 0) left = drained.awaitNanos(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private void deliver() {
        while (true) {
            byte kind;
            int i;
            Object o;
            Runnable end = null;
            lock.lock();
            try {
                delivering = false;
                if (size == 0) drained.signalAll();
                while (size == 0 && last == null) ready.awaitUninterruptibly();
                if (size == 0) {
                    end = last;
                    kind = 0;
                    i = 0;
                    o = null;
                } else {
                    kind = kinds[head];
                    i = ints[head];
                    o = objects[head];
                    objects[head] = null;
                    head = (head + 1) % kinds.length;
                    size--;
                    delivering = true;
                }
            } finally {
                lock.unlock();
            }
            if (end != null) {
                end.run();
                return;
            }
            if (broken) continue; // the client is gone: drop what is left
            try {
                switch (kind) {
                    case TEXT -> listener.onText((String) o);
                    case TOKEN -> listener.onToken(i, (TokenLogprob) o);
                    default -> {
                        Object[] p = (Object[]) o;
                        @SuppressWarnings("unchecked")
                        List<TokenLogprob> lps = (List<TokenLogprob>) p[1];
                        listener.onPromptScored((int[]) p[0], lps);
                    }
                }
            } catch (RuntimeException e) {
                breakWith("the listener failed: " + e.getMessage());
            }
        }
    }
}
