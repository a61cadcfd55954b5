package io.backstop.engine;

/** Exact token counts: prompt tokens fed to the model and tokens it generated (a stop token included). */
public record Usage(int promptTokens, int completionTokens) {
    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
