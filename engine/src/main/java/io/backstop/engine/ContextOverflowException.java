package io.backstop.engine;

/** The prompt does not fit in the positions the model can compute. */
public final class ContextOverflowException extends EngineException {
    private final int promptTokens;
    private final int completionTokens;
    private final int limit;
    private final int contextLength;
    private final boolean atLeast;

    public ContextOverflowException(int promptTokens, int limit, int contextLength) {
        this(promptTokens, limit, contextLength, false);
    }

    /** @param atLeast the count is a lower bound (the prompt was refused before tokenizing it all) */
    public ContextOverflowException(int promptTokens, int limit, int contextLength, boolean atLeast) {
        this(promptTokens, 0, limit, contextLength, atLeast);
    }

    /** @param completionTokens the tokens the request asked to generate (0 when it set no limit) */
    public ContextOverflowException(int promptTokens, int completionTokens, int limit, int contextLength, boolean atLeast) {
        super("prompt is " + (atLeast ? "at least " : "") + promptTokens + " tokens but this model can take at most " + limit
                + " (context length " + contextLength + "); shorten the prompt");
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
        this.limit = limit;
        this.contextLength = contextLength;
        this.atLeast = atLeast;
    }

    /** The same overflow, knowing how many tokens the request asked to generate. */
    public ContextOverflowException withCompletionTokens(int n) {
        return new ContextOverflowException(promptTokens, n, limit, contextLength, atLeast);
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int completionTokens() {
        return completionTokens;
    }

    /** Positions this model can compute (at most its context length). */
    public int limit() {
        return limit;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Whether {@link #promptTokens()} is a lower bound. */
    public boolean atLeast() {
        return atLeast;
    }
}
