package io.backstop.engine;

/** Base of the engine's errors: each carries a message fit to show a user as is. */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
