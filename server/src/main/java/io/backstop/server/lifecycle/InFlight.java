package io.backstop.server.lifecycle;

import io.backstop.engine.GenerationHandle;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generations requests are waiting on, so a shutdown can let running ones finish, end the rest, and
 * turn queued and new ones away. A request enters once its generations are submitted and leaves when
 * its response is written.
 */
public final class InFlight {
    private final Set<Entry> entries = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    /** One request's generations. */
    public final class Entry implements AutoCloseable {
        private final List<GenerationHandle> handles;
        private volatile boolean endedByShutdown;

        private Entry(List<GenerationHandle> handles) {
            this.handles = List.copyOf(handles);
        }

        /** Whether the shutdown cancelled these generations (the answer is then 503, or an error event on a stream). */
        public boolean endedByShutdown() {
            return endedByShutdown;
        }

        private boolean queued() {
            return handles.stream().anyMatch(h -> !h.isStarted());
        }

        private void end() {
            endedByShutdown = true;
            handles.forEach(GenerationHandle::cancel);
        }

        @Override
        public void close() {
            synchronized (InFlight.this) {
                entries.remove(this);
                InFlight.this.notifyAll();
            }
        }
    }

    /** Tracks a request's generations; while draining they are ended at once (they came too late). */
    public synchronized Entry enter(List<GenerationHandle> handles) {
        Entry e = new Entry(handles);
        entries.add(e);
        if (draining) e.end();
        return e;
    }

    public boolean isDraining() {
        return draining;
    }

    /** From now on new requests are refused; requests still waiting in a queue are ended. */
    public synchronized void startDraining() {
        draining = true;
        for (Entry e : entries) if (e.queued()) e.end();
    }

    /** Ends every generation still running. */
    public synchronized void endAll() {
        entries.forEach(Entry::end);
    }

    /** Waits until every request has been answered; false when {@code timeout} passed first. */
    public synchronized boolean awaitEmpty(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!entries.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    public int size() {
        return entries.size();
    }
}
