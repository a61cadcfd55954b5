package io.backstop.server.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.config.ProviderConfig;
import io.backstop.server.observe.trace.Tracing;
import io.backstop.server.route.UpstreamFailure.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ExecutionException;

/**
 * One attempt against an OpenAI-compatible API: connect timeout, time to first byte (response
 * headers), idle timeout between body chunks (streaming or not), all within the request's deadline. Every failure becomes
 * an {@link UpstreamFailure} that says whether another attempt makes sense.
 */
public final class UpstreamClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Integer> RETRYABLE = Set.of(408, 425, 429, 500, 502, 503, 504, 529);
    /** Largest non-streaming answer accepted from a provider. */
    public static final int MAX_ANSWER_BYTES = 16 << 20;

    private final ProviderConfig config;
    private final String apiKey;
    private final HttpClient http;

    public UpstreamClient(ProviderConfig config, String apiKey) {
        this.config = config;
        this.apiKey = apiKey;
        this.http = HttpClient.newBuilder().connectTimeout(config.connectTimeout()).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * A non-streaming call: the parsed JSON body of a 2xx answer. The body is read with the idle timeout
     * between its chunks, so an upstream that sends headers and then stalls fails as a stream would.
     */
    public JsonNode complete(String endpoint, ObjectNode body, Deadline deadline) {
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = exchange(request(endpoint, body, deadline, "application/json"), deadline);
        BodyChunks chunks = new BodyChunks();
        r.body().subscribe(chunks);
        try {
            checkStatus(r.statusCode(), r.headers(), deadline);
            if (!contentType(r.headers()).startsWith("application/json")) {
                throw failure(Kind.INVALID_RESPONSE, r.statusCode(), null, deadline, "answered with content type '" + contentType(r.headers()) + "' instead of JSON");
            }
            byte[] answer = readAll(chunks, deadline);
            JsonNode n = JSON.readTree(answer);
            if (n == null || !n.isObject() || !n.has("choices")) throw new IOException("no choices");
            return n;
        } catch (IOException e) {
            throw failure(Kind.INVALID_RESPONSE, r.statusCode(), null, deadline, "answered with malformed JSON");
        } finally {
            chunks.cancel(); // a no-op once the body has ended
        }
    }

    /** A streaming call, once the provider has answered 200 with an event stream. */
    public UpstreamStream stream(String endpoint, ObjectNode body, Deadline deadline) {
        HttpResponse<Flow.Publisher<List<ByteBuffer>>> r = exchange(request(endpoint, body, deadline, "text/event-stream"), deadline);
        BodyChunks chunks = new BodyChunks();
        r.body().subscribe(chunks);
        try {
            checkStatus(r.statusCode(), r.headers(), deadline);
            if (!contentType(r.headers()).startsWith("text/event-stream")) {
                throw failure(Kind.INVALID_RESPONSE, r.statusCode(), null, deadline, "answered with content type '" + contentType(r.headers()) + "' instead of an event stream");
            }
        } catch (UpstreamFailure f) {
            chunks.cancel();
            throw f;
        }
        return new UpstreamStream(config.name(), chunks, config.idleTimeout(), deadline);
    }

    /**
     * Sends the request and waits for the response headers (bounded by the request's first-byte timeout).
     * An interrupt means another target answered first: the exchange is aborted, closing its connection.
     */
    private HttpResponse<Flow.Publisher<List<ByteBuffer>>> exchange(HttpRequest request, Deadline deadline) {
        CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> call = http.sendAsync(request, HttpResponse.BodyHandlers.ofPublisher());
        try {
            return call.get();
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw failure(Kind.CANCELLED, 0, null, deadline, "stopped: another target answered first");
        } catch (ExecutionException e) {
            throw network(e.getCause(), deadline);
        }
    }

    /** The whole body, chunk by chunk, each within the idle timeout; at most {@link #MAX_ANSWER_BYTES}. */
    private byte[] readAll(BodyChunks chunks, Deadline deadline) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            BodyChunks.Next next;
            try {
                next = chunks.next(deadline.cap(config.idleTimeout()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure(Kind.CANCELLED, 0, null, deadline, "stopped: another target answered first");
            }
            switch (next) {
                case BodyChunks.End e -> {
                    return out.toByteArray();
                }
                case BodyChunks.Silent s -> throw failure(deadline.expired() ? Kind.DEADLINE : Kind.TIMEOUT, 0, null, deadline, deadline.expired()
                        ? "sent no complete answer before the deadline" : "answer idle for more than " + config.idleTimeout().toMillis() + " ms");
                case BodyChunks.Failed f -> throw failure(Kind.RETRYABLE, 0, null, deadline, "answer broke off (" + f.error().getClass().getSimpleName() + ")");
                case BodyChunks.Chunk c -> {
                    for (ByteBuffer b : c.buffers()) {
                        if (out.size() + b.remaining() > MAX_ANSWER_BYTES) {
                            throw failure(Kind.INVALID_RESPONSE, 200, null, deadline, "sent an answer larger than " + MAX_ANSWER_BYTES + " bytes");
                        }
                        byte[] bytes = new byte[b.remaining()];
                        b.get(bytes);
                        out.writeBytes(bytes);
                    }
                }
            }
        }
    }

    private HttpRequest request(String endpoint, ObjectNode body, Deadline deadline, String accept) {
        if (deadline.expired()) throw failure(Kind.DEADLINE, 0, null, deadline, "no time left for an attempt");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.baseUrl() + endpoint))
                .timeout(deadline.cap(config.firstByteTimeout())) // until the response headers arrive
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        Tracing.inject(b::header); // W3C traceparent: the provider's spans join the client's trace
        return b.build();
    }

    private void checkStatus(int status, HttpHeaders headers, Deadline deadline) {
        if (status / 100 == 2) return;
        Duration retryAfter = retryAfter(headers.firstValue("Retry-After").orElse(null));
        Kind kind = RETRYABLE.contains(status) ? Kind.RETRYABLE : status / 100 == 4 ? Kind.CLIENT_ERROR : Kind.INVALID_RESPONSE;
        throw failure(kind, status, retryAfter, deadline, "answered HTTP " + status);
    }

    private UpstreamFailure network(Throwable e, Deadline deadline) {
        if (e instanceof HttpConnectTimeoutException) return failure(Kind.TIMEOUT, 0, null, deadline, "connect timeout");
        if (e instanceof HttpTimeoutException) return failure(Kind.TIMEOUT, 0, null, deadline, "no response headers within the first-byte timeout");
        if (e instanceof ConnectException) return failure(Kind.RETRYABLE, 0, null, deadline, "connection refused");
        if (e instanceof IOException) return failure(Kind.RETRYABLE, 0, null, deadline, "connection failed (" + e.getClass().getSimpleName() + ")");
        return failure(Kind.RETRYABLE, 0, null, deadline, "call failed (" + e.getClass().getSimpleName() + ")");
    }

    private UpstreamFailure failure(Kind kind, int status, Duration retryAfter, Deadline deadline, String what) {
        return new UpstreamFailure(config.name(), kind, status, retryAfter, deadline, config.name() + " " + what);
    }

    private static String contentType(HttpHeaders h) {
        return h.firstValue("Content-Type").orElse("").toLowerCase(java.util.Locale.ROOT);
    }

    /** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(String v) {
        if (v == null || v.isBlank()) return null;
        try {
            return Duration.ofMillis((long) (Double.parseDouble(v.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException e2) {
                return null;
            }
        }
    }

}
