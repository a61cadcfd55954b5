package io.backstop.server.http;

import io.backstop.server.openai.ApiException;
import io.backstop.server.openai.Json;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** OpenAI-shaped error bodies written below Javalin: by the request gate, Jetty's error handler and raw connections. */
final class HttpErrors {
    private HttpErrors() {}

    static ApiException of(int status, String code, String message) {
        String type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
        return new ApiException(status, type, null, code, message, Map.of());
    }

    static byte[] body(ApiException e) {
        return Json.write(Json.error(e)).getBytes(StandardCharsets.UTF_8);
    }

    /** Answers with the error; {@code close} also ends the connection (the rest of the request is not read). */
    static void write(HttpServletResponse res, ApiException e, boolean close) throws IOException {
        if (res.isCommitted()) return;
        res.resetBuffer();
        res.setStatus(e.status());
        e.headers().forEach(res::setHeader);
        if (close) res.setHeader("Connection", "close");
        byte[] body = body(e);
        res.setContentType("application/json");
        res.setContentLength(body.length);
        res.getOutputStream().write(body);
        res.flushBuffer();
    }

    /** A whole HTTP/1.1 response for a connection that no request will be read from. */
    static byte[] raw(ApiException e, String reason) {
        byte[] body = body(e);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(e.status()).append(' ').append(reason).append("\r\n");
        e.headers().forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Type: application/json\r\nConnection: close\r\nContent-Length: ").append(body.length).append("\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }
}
