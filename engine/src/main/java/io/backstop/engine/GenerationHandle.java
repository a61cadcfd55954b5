package io.backstop.engine;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** A submitted generation: cancel it, or wait for its result. */
public final class GenerationHandle {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final AtomicReference<Runnable> onCancel = new AtomicReference<>();
    private volatile boolean started;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();

    /**
     * Asks the generation to stop: a running one ends within one token with {@link FinishReason#CANCELLED};
     * one still waiting in the queue leaves it at once (its place is free) and ends the same way.
     */
    public void cancel() {
        if (!cancelled.compareAndSet(false, true)) return;
        Runnable hook = onCancel.getAndSet(null);
        if (hook != null) hook.run();
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    /** Whether the generation has left the queue and started running. */
    public boolean isStarted() {
        return started;
    }

    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Waits for the result; engine errors are rethrown as they were raised. */
    public GenerationResult await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            cancel();
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while waiting for generation");
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof EngineException ee) throw ee;
            throw new EngineException("generation failed: " + cause, cause);
        }
    }

    /** Runs {@code hook} on the first cancel (at once when already cancelled). */
    void onCancel(Runnable hook) {
        onCancel.set(hook);
        if (cancelled.get() && onCancel.compareAndSet(hook, null)) hook.run();
    }

    void markStarted() {
        started = true;
    }

    void complete(GenerationResult r) {
        result.complete(r);
    }

    void fail(Throwable t) {
        result.completeExceptionally(t);
    }
}
