package io.backstop.engine.hub;

/** Receives per-file transfer progress. Sizes are in bytes; {@code totalBytes} is -1 when unknown. */
public interface ProgressListener {
    /** Ignores all progress. */
    ProgressListener NONE = new ProgressListener() {};

    default void fileStarted(String file, long totalBytes) {}

    /** A transfer that continues an earlier, interrupted one: {@code doneBytes} are already there. */
    default void fileResumed(String file, long doneBytes, long totalBytes) {
        fileStarted(file, totalBytes);
    }

    /** Called repeatedly while {@code file} is transferred; may be called very often. */
    default void bytesTransferred(String file, long doneBytes, long totalBytes) {}

    /** {@code skipped} is true when the file was already complete at the destination. */
    default void fileFinished(String file, long totalBytes, boolean skipped) {}
}
