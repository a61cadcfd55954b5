package io.backstop.engine;

/** A model cannot be loaded: missing files, an unsupported format, dtype or shape. */
public class ModelLoadException extends EngineException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
