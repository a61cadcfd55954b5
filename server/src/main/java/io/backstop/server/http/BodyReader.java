package io.backstop.server.http;

import io.backstop.server.openai.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.server.HttpChannel;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a request body whole, however it arrives (Content-Length or chunked, identity or gzip), within
 * two bounds: at most {@code maxBytes} (counted as the bytes stream in, and again after decompression,
 * so neither a chunked flood nor a zip bomb is ever buffered past the limit: 413 at once), and at most
 * {@code timeout} from the first read (a client trickling bytes gets 408 instead of holding a worker
 * thread). The deadline works through Jetty's idle timeout, lowered before each read to the time left.
 */
final class BodyReader {
    private static final Logger LOG = LoggerFactory.getLogger(BodyReader.class);
    private final long maxBytes;
    private final long timeoutNanos;

    BodyReader(long maxBytes, Duration timeout) {
        this.maxBytes = maxBytes;
        this.timeoutNanos = timeout.toNanos();
    }

    /** Thrown when the client is gone mid-body: there is nobody to answer. */
    static final class ClientGone extends IOException {
        ClientGone(Throwable cause) {
            super("client closed the connection while sending its body", cause);
        }
    }

    byte[] read(HttpServletRequest req) throws IOException {
        String encoding = req.getHeader("Content-Encoding");
        encoding = encoding == null ? "identity" : encoding.trim().toLowerCase(Locale.ROOT);
        boolean gzip = encoding.equals("gzip") || encoding.equals("x-gzip");
        if (!gzip && !encoding.equals("identity") && !encoding.isEmpty()) {
            throw HttpErrors.of(415, "unsupported_content_encoding", "Content-Encoding '" + encoding + "' is not supported; send the body as is or gzip-compressed");
        }
        if (req.getContentLengthLong() > maxBytes) throw tooLarge(gzip);
        HttpChannel channel = Request.getBaseRequest(req).getHttpChannel();
        long idle = channel.getIdleTimeout();
        Limited raw = new Limited(req.getInputStream(), channel, System.nanoTime() + timeoutNanos, idle);
        try (InputStream in = gzip ? new GZIPInputStream(raw, 8192) : raw) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(maxBytes, Math.max(0, req.getContentLengthLong())) + 1);
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf, 0, (int) Math.min(buf.length, maxBytes + 1 - out.size()))) > 0) {
                out.write(buf, 0, n);
                if (out.size() > maxBytes) throw tooLarge(gzip);
            }
            return out.toByteArray();
        } catch (ZipException | java.io.EOFException e) {
            if (raw.gone) throw new ClientGone(e);
            throw HttpErrors.of(400, "invalid_gzip", "the gzip-compressed body is corrupt or truncated");
        } catch (BadMessageException e) {
            throw HttpErrors.of(e.getCode(), "invalid_body", "the request body is not valid HTTP content (" + e.getReason() + ")");
        } finally {
            channel.setIdleTimeout(idle);
        }
    }

    private ApiException tooLarge(boolean gzip) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large", "request body is larger than the server's limit of "
                + maxBytes + " bytes" + (gzip ? " (after decompression)" : ""), Map.of());
    }

    /** The raw body: counts bytes against the limit and reads only until the deadline. */
    private final class Limited extends InputStream {
        private final InputStream in;
        private final HttpChannel channel;
        private final long deadline;
        private final long idleMillis;
        private long count;
        boolean gone;

        Limited(InputStream in, HttpChannel channel, long deadline, long idleMillis) {
            this.in = in;
            this.channel = channel;
            this.deadline = deadline;
            this.idleMillis = idleMillis;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw timedOut();
            long leftMillis = Math.max(1, left / 1_000_000);
            channel.setIdleTimeout(idleMillis > 0 ? Math.min(idleMillis, leftMillis) : leftMillis);
            int n;
            try {
                n = in.read(b, off, len);
            } catch (IOException e) {
                if (System.nanoTime() >= deadline || isTimeout(e)) throw timedOut();
                gone = true;
                throw new ClientGone(e);
            }
            if (n > 0 && (count += n) > maxBytes) {
                LOG.debug("body refused after {} bytes read (limit {})", count, maxBytes);
                throw tooLarge(false);
            }
            return n;
        }

        private ApiException timedOut() {
            return HttpErrors.of(408, "body_timeout", "the request body did not arrive in time (server.body_timeout_seconds)");
        }

        private boolean isTimeout(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof TimeoutException) return true;
            return false;
        }
    }
}
