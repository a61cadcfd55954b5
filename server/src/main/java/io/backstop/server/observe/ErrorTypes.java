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
            case UpstreamFailure u -> u.status() == 429 ? "rate_limited" : u.kind().name().toLowerCase(Locale.ROOT);
            case ApiException a -> a.code() != null ? a.code() : Integer.toString(a.status());
            case QueueFullException q -> "queue_full";
            case ContextOverflowException c -> "context_length_exceeded";
            case InvalidRequestException i -> "invalid_request";
            default -> t.getClass().getName();
        };
    }
}
