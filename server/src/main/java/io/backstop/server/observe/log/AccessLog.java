package io.backstop.server.observe.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.backstop.server.config.ConfigException;
import io.backstop.server.observe.ObserveConfig.AccessLogOptions;
import io.backstop.server.observe.Observation;
import io.backstop.server.observe.RequestSummary;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per request (and per judge verdict) on stdout, stderr or a file: ids, route, target,
 * tokens, timings, cost, the fallback chain and guardrail decisions. Prompt and answer text only with
 * {@code logging.log_content: true}. Separate from the diagnostic log (stderr, {@code logging.level}),
 * so it can be shipped as data.
 *
 * <p>Lines are formatted and written by one writer thread, so a request's response completes without
 * waiting for JSON or the disk; the queue between them is bounded and a full queue makes the request
 * wait (a slow disk slows requests rather than losing lines). {@link #close()} writes what is queued.
 */
public final class AccessLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    private static final JsonFactory JSON = new JsonFactory();
    /** Lines waiting for the writer at most (a line is a few hundred bytes, so this bounds memory to about 1 MB). */
    static final int QUEUE = 4096;
    private static final Object END = new Object();

    /** A request line, formatted by the writer; the time is when the request ended. */
    private record Pending(Instant ts, RequestSummary summary) {}

    private final OutputStream out;
    private final boolean owned;
    private final boolean content;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread writer;
    private volatile boolean closed;
    private boolean failed;

    private AccessLog(OutputStream out, boolean owned, boolean content) {
        this.out = out;
        this.owned = owned;
        this.content = content;
        this.writer = Thread.ofPlatform().name("backstop-access-log").daemon().start(this::drain);
    }

    /** The configured sink; null when the access log is off. */
    public static AccessLog open(AccessLogOptions o) {
        if (!o.enabled()) return null;
        return switch (o.target()) {
            case AccessLogOptions.STDOUT -> new AccessLog(System.out, false, o.logContent());
            case AccessLogOptions.STDERR -> new AccessLog(System.err, false, o.logContent());
            default -> {
                try {
                    Path file = Path.of(o.target()).toAbsolutePath();
                    if (file.getParent() != null) Files.createDirectories(file.getParent());
                    yield new AccessLog(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true, o.logContent());
                } catch (IOException | RuntimeException e) {
                    throw new ConfigException("logging.access_log: cannot open " + o.target() + " for appending: " + e.getMessage());
                }
            }
        };
    }

    public boolean logsContent() {
        return content;
    }

    public void request(RequestSummary s) {
        enqueue(new Pending(Instant.now(), s));
    }

    /** A {@code gen_ai.evaluation.result} event: the judge's verdict on a sampled answer. */
    public void event(String name, Map<String, Object> fields) {
        enqueue(event(Instant.now(), name, fields));
    }

    private static String event(Instant ts, String name, Map<String, Object> fields) {
        StringWriter w = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("ts", ts.toString());
            g.writeStringField("event", name);
            for (var e : fields.entrySet()) {
                if (e.getValue() != null) g.writeObjectField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private String line(Instant ts, RequestSummary s) {
        StringWriter w = new StringWriter(512);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("ts", ts.toString());
            g.writeStringField("event", "request");
            g.writeStringField("request_id", s.requestId());
            if (s.traceId() != null) g.writeStringField("trace_id", s.traceId());
            g.writeStringField("method", s.method());
            g.writeStringField("path", s.path());
            g.writeNumberField("status", s.status());
            string(g, "user", s.user());
            string(g, "session_id", s.session());
            string(g, "route", s.route());
            if (s.route() != null) g.writeBooleanField("stream", s.stream());
            string(g, "target", s.target());
            string(g, "provider", s.provider());
            string(g, "model", s.responseModel());
            string(g, "outcome", s.outcome());
            string(g, "error_type", s.errorType());
            number(g, "tokens_in", s.tokensIn());
            number(g, "tokens_out", s.tokensOut());
            if (s.ttftNanos() != null) g.writeNumberField("ttft_ms", round(s.ttftNanos() / 1e6));
            if (s.tpotNanos() != null) g.writeNumberField("tpot_ms", round(s.tpotNanos() / 1e6));
            g.writeNumberField("duration_ms", round(s.durationNanos() / 1e6));
            if (s.cost() != null) g.writeNumberField("cost_usd", s.cost());
            if (!s.chain().isEmpty()) {
                g.writeArrayFieldStart("fallback_chain");
                for (RequestSummary.Link l : s.chain()) {
                    g.writeStartObject();
                    g.writeStringField("target", l.target());
                    g.writeStringField("result", l.result());
                    string(g, "error_type", l.errorType());
                    if (l.upstreamCalls() > 0) g.writeNumberField("upstream_calls", l.upstreamCalls());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            if (!s.guard().isEmpty()) {
                g.writeArrayFieldStart("guardrails");
                for (Observation.GuardEvent e : s.guard()) {
                    g.writeStartObject();
                    g.writeStringField("stage", e.stage());
                    g.writeStringField("check", e.check());
                    g.writeStringField("action", e.action());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            if (content) {
                string(g, "prompt", s.prompt());
                string(g, "answer", s.answer());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    private static void string(JsonGenerator g, String k, String v) throws IOException {
        if (v != null) g.writeStringField(k, v);
    }

    private static void number(JsonGenerator g, String k, Integer v) throws IOException {
        if (v != null) g.writeNumberField(k, v);
    }

    private void enqueue(Object item) {
        if (closed) return; // a judge verdict after shutdown has nowhere to go
        try {
            queue.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The writer thread: formats and writes what is queued, flushing whenever the queue runs empty. */
    private void drain() {
        try {
            while (true) {
                Object item = queue.take();
                if (item == END) break;
                write(item);
                if (queue.isEmpty()) flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Object item;
        while ((item = queue.poll()) != null) if (item != END) write(item);
        flush();
    }

    private void write(Object item) {
        try {
            String line = item instanceof Pending p ? line(p.ts(), p.summary()) : (String) item;
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) { // a full disk must not fail requests that were already answered: say it once
            if (!failed) LOG.warn("access log: cannot write ({}); lines are lost until it works again", e.getMessage());
            failed = true;
            return;
        }
        failed = false;
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            if (!failed) LOG.warn("access log: cannot write ({}); lines are lost until it works again", e.getMessage());
            failed = true;
        }
    }

    /** Writes what is queued, then closes a file (stdout and stderr stay open). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            queue.put(END);
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!owned) return;
        try {
            out.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }
}
