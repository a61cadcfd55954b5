package io.backstop.server.openai;

import io.backstop.engine.ContextOverflowException;
import java.util.Map;

/**
 * An error answered in OpenAI's shape: {@code {"error":{"message","type","param","code"}}} with an
 * HTTP status. Messages are written for the client and never contain internals.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;

    public ApiException(int status, String type, String param, String code, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, Map.of());
    }

    public static ApiException unsupported(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, "unsupported_parameter", message, Map.of());
    }

    public static ApiException modelNotFound(String model) {
        return new ApiException(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist; GET /v1/models lists the models served here", Map.of());
    }

    public static ApiException notReady(String what) {
        return new ApiException(503, "server_error", null, "not_ready", what + " is still loading; retry shortly", Map.of("Retry-After", "5"));
    }

    public static ApiException busy(String message) {
        return new ApiException(429, "rate_limit_error", null, "engine_busy", message, Map.of("Retry-After", "1"));
    }

    /**
     * A prompt over the context, in OpenAI's words: clients such as LangChain recognise an overflow by
     * "maximum context length is N tokens" in the message, not by the code.
     */
    public static ApiException contextLengthExceeded(ContextOverflowException e) {
        String atLeast = e.atLeast() ? "at least " : "";
        long total = (long) e.promptTokens() + e.completionTokens();
        String message = "This model's maximum context length is " + e.limit() + " tokens. However, you requested " + atLeast + total
                + " tokens (" + atLeast + e.promptTokens() + " in the messages, " + e.completionTokens()
                + " in the completion). Please reduce the length of the messages or completion."
                + (e.limit() < e.contextLength() ? " (The model's context is " + e.contextLength() + " tokens; this backend computes "
                        + e.limit() + " of them correctly.)" : "");
        return new ApiException(400, "invalid_request_error", "messages", "context_length_exceeded", message, Map.of());
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key", message, Map.of("WWW-Authenticate", "Bearer"));
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
