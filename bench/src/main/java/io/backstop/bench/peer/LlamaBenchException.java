package io.backstop.bench.peer;

import io.backstop.engine.EngineException;

/** Running or reading llama-bench failed; the message is one line fit to show a user as is. */
public final class LlamaBenchException extends EngineException {
    public LlamaBenchException(String message) {
        super(message);
    }

    public LlamaBenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
