package io.backstop.engine;

/** Why generation ended (OpenAI's values, plus {@code cancelled}). */
public enum FinishReason {
    /** The model emitted an end-of-sequence/stop token, or a stop string was produced. */
    STOP,
    /** max_tokens was reached, or the end of the usable context. */
    LENGTH,
    /** The caller cancelled, disconnected, or the request's timeout passed. */
    CANCELLED;

    public String openAiName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
