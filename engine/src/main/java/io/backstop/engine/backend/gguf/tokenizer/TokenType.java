package io.backstop.engine.backend.gguf.tokenizer;

/** A token's type in {@code tokenizer.ggml.token_type} (llama.cpp's {@code llama_token_type}). */
enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    private static final TokenType[] BY_CODE = values();

    /** Codes outside 0–6 are UNDEFINED, as in llama.cpp. */
    static TokenType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNDEFINED;
    }

    /** Text the model emits nothing for: control, unknown, unused and undefined tokens. */
    boolean silent() {
        return this == CONTROL || this == UNKNOWN || this == UNUSED || this == UNDEFINED;
    }

    /** Whether plain-text encoding may produce this token: control and unknown tokens only come from special parsing. */
    boolean fromPlainText() {
        return this != CONTROL && this != UNKNOWN;
    }
}
