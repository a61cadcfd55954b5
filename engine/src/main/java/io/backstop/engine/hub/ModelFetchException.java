package io.backstop.engine.hub;

/**
 * The one failure type of model fetching. Its message is meant to be shown to the user as is
 * (one line, says what to do next, never contains the token); callers should not print stack traces.
 */
public class ModelFetchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelFetchException(String message) {
        super(message);
    }

    public ModelFetchException(String message, Throwable cause) {
        super(message, cause);
    }
}
