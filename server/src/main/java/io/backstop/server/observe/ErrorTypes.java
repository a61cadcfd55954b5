package io.backstop.server.observe;

import io.backstop.engine.ContextOverflowException;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.QueueFullException;
import io.backstop.server.openai.ApiException;
import io.backstop.server.route.UpstreamFailure;
import java.util.Locale;

/** The {@code error.type} values Backstop reports (low cardinality; listed in the README). */
final class ErrorTypes {
    private ErrorTypes() {}

    static String of(Throwable t) {
        return switch (t) {
            case UpstreamFailure u -> upstream(u);
            case ApiException a -> a.code() != null ? a.code() : Integer.toString(a.status());
            case QueueFullException q -> "queue_full";
            case ContextOverflowException c -> "context_length_exceeded";
            case InvalidRequestException i -> "invalid_request";
            default -> t.getClass().getName();
        };
    }

    /** An HTTP status where the provider sent one (as the conventions ask), else what went wrong. */
    private static String upstream(UpstreamFailure u) {
        if (u.status() == 429) return "rate_limited";
        return switch (u.kind()) {
            case RETRYABLE, CLIENT_ERROR -> u.status() > 0 ? Integer.toString(u.status()) : "connection_error";
            default -> u.kind().name().toLowerCase(Locale.ROOT);
        };
    }
}
