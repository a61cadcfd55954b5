package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events: {@code data: <json>\n\n}, flushed per event so tokens reach the client as they
 * are made. A failed write means the client is gone: it throws, which cancels the generation. After
 * [DONE] the stream is over: a late event throws the same way instead of following it.
 */
final class SseWriter {
    private static final byte[] PREFIX = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final com.fasterxml.jackson.core.io.JsonStringEncoder ENCODER = com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance();
    private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(512);
    private final Opener opener;
    private OutputStream out; // null until the first event opens the response
    private boolean broken;
    private boolean done;

    /** Opens the response when the first event is written; throws when this writer may not answer after all. */
    interface Opener {
        OutputStream open() throws IOException;
    }

    SseWriter(OutputStream out) {
        this(() -> out);
    }

    SseWriter(Opener opener) {
        this.opener = opener;
    }

    synchronized void event(JsonNode data) {
        write(Json.write(data).getBytes(StandardCharsets.UTF_8), true);
    }

    /** A content chunk from its pre-rendered template: one buffer, one write, one flush. */
    synchronized void content(ResponseFormat.ContentTemplate t, String text) {
        byte[] quoted = ENCODER.quoteAsUTF8(text);
        buffer.reset();
        buffer.writeBytes(PREFIX);
        buffer.writeBytes(t.before());
        buffer.write('"');
        buffer.writeBytes(quoted);
        buffer.write('"');
        buffer.writeBytes(t.after());
        buffer.writeBytes(END);
        checkOpen();
        try {
            OutputStream out = out();
            buffer.writeTo(out); // no copy of the event
            out.flush();
        } catch (IOException e) {
            broken = true;
            throw new UncheckedIOException(e);
        }
    }

    /** An event whose data is already JSON text (passed through from an upstream provider). */
    synchronized void data(String json) {
        write(json.getBytes(StandardCharsets.UTF_8), true);
    }

    synchronized void done() {
        write(DONE, false);
        done = true;
    }

    private void checkOpen() {
        if (broken) throw new UncheckedIOException(new IOException("client disconnected"));
        if (done) throw new UncheckedIOException(new IOException("the stream already ended with [DONE]"));
    }

    private OutputStream out() throws IOException {
        if (out == null) out = opener.open();
        return out;
    }

    synchronized boolean isBroken() {
        return broken;
    }

    private void write(byte[] payload, boolean framed) {
        checkOpen();
        try {
            OutputStream out = out();
            if (framed) out.write(PREFIX);
            out.write(payload);
            if (framed) out.write(END);
            out.flush();
        } catch (IOException e) {
            broken = true;
            throw new UncheckedIOException(e);
        }
    }
}
