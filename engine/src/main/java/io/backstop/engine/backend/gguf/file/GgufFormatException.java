package io.backstop.engine.backend.gguf.file;

import io.backstop.engine.ModelLoadException;
import java.nio.file.Path;

/** A GGUF file that cannot be read: the message names the file, and the tensor or key when there is one. */
public final class GgufFormatException extends ModelLoadException {
    public GgufFormatException(Path file, String problem) {
        super(file.getFileName() + ": " + problem);
    }
}
