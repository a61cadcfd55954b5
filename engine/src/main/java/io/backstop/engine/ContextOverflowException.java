package io.backstop.engine;

/** The prompt does not fit in the positions the model can compute. */
public final class ContextOverflowException extends EngineException {
    private final int promptTokens;
    private final int limit;

    public ContextOverflowException(int promptTokens, int limit, int contextLength) {
        this(promptTokens, limit, contextLength, false);
    }

    /** @param atLeast the count is a lower bound (the prompt was refused before tokenizing it all) */
    public ContextOverflowException(int promptTokens, int limit, int contextLength, boolean atLeast) {
        super("prompt is " + (atLeast ? "at least " : "") + promptTokens + " tokens but this model can take at most " + limit
                + " (context length " + contextLength + "); shorten the prompt");
        this.promptTokens = promptTokens;
        this.limit = limit;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int limit() {
        return limit;
    }
}
