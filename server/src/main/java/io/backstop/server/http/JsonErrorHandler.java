package io.backstop.server.http;

import io.backstop.server.openai.ApiException;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's own errors (a request it cannot parse: bad percent-encoding, oversized or malformed headers,
 * a bad Content-Length…) in OpenAI's error shape instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final HttpField JSON = new HttpField(HttpHeader.CONTENT_TYPE, "application/json");

    /** Requests Jetty refused while parsing: no handler ever sees them. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(JSON);
        return ByteBuffer.wrap(HttpErrors.body(describe(status, reason)));
    }

    /** Errors raised inside the servlet context (e.g. a sendError outside Javalin's handlers). */
    @Override
    public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response) throws IOException {
        baseRequest.setHandled(true);
        if (response.isCommitted()) return;
        Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
        HttpErrors.write(response, describe(response.getStatus(), message == null ? null : message.toString()), false);
    }

    static ApiException describe(int status, String reason) {
        return switch (status) {
            case 431 -> HttpErrors.of(431, "headers_too_large", "the request headers are larger than the server accepts");
            case 413 -> HttpErrors.of(413, "request_too_large", "the request is larger than the server accepts");
            case 414 -> HttpErrors.of(414, "uri_too_long", "the request URI is longer than the server accepts");
            case 408 -> HttpErrors.of(408, "request_timeout", "the request did not arrive in time");
            case 505 -> HttpErrors.of(505, "http_version_not_supported", "this server speaks HTTP/1.0 and HTTP/1.1");
            default -> status >= 500
                    ? HttpErrors.of(status, "server_error", "the server could not handle the request")
                    : HttpErrors.of(status, "invalid_http", "the request is not valid HTTP" + detail(reason));
        };
    }

    /** Jetty's reason ("Bad URI", "Invalid Content-Length Value"…), printable and short. */
    private static String detail(String reason) {
        if (reason == null || reason.isBlank()) return "";
        String clean = reason.replaceAll("[^\\x20-\\x7E]", "?");
        return ": " + (clean.length() > 100 ? clean.substring(0, 100) + "…" : clean);
    }
}
