package io.backstop.engine;

/** The engine is running its maximum of requests and its waiting queue is full. */
public final class QueueFullException extends EngineException {
    public QueueFullException(int inFlight, int queueSize) {
        super("engine is busy: " + inFlight + " requests running and " + queueSize
                + " waiting (the queue limit); retry later");
    }
}
