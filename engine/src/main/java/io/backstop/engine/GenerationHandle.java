package io.backstop.engine;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/** A submitted generation: cancel it, or wait for its result. */
public final class GenerationHandle {
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();

    /** Asks the generation to stop; it ends within one token with {@link FinishReason#CANCELLED}. */
    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
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

    void complete(GenerationResult r) {
        result.complete(r);
    }

    void fail(Throwable t) {
        result.completeExceptionally(t);
    }
}
