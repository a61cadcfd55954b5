package io.backstop.server.http;

import io.backstop.server.openai.ApiException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code max} open connections per client address (a Jetty connection listener): one client
 * cannot hold every connection and worker thread. A connection over the limit is answered 429 and
 * closed as soon as it opens, before any request on it is read.
 */
final class ClientConnectionLimit implements Connection.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnectionLimit.class);
    private final int max;
    private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();
    /** The address each counted connection was let in from (a closed socket no longer tells it). */
    private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();
    private final byte[] refusal;

    ClientConnectionLimit(int max) {
        this.max = max;
        this.refusal = HttpErrors.raw(new ApiException(429, "rate_limit_error", null, "too_many_connections",
                "this client address already has " + max + " open connections (server.max_connections_per_client)",
                Map.of("Retry-After", "1")), "Too Many Requests");
    }

    @Override
    public void onOpened(Connection connection) {
        InetAddress client = address(connection.getEndPoint());
        if (client == null) return;
        // Count the connection only if it fits, atomically: a transient max + 1 would wrongly refuse a
        // concurrent connection from the same client.
        boolean[] admitted = new boolean[1];
        open.compute(client, (k, v) -> {
            int n = v == null ? 0 : v;
            if (n >= max) return v;
            admitted[0] = true;
            return n + 1;
        });
        if (admitted[0]) {
            counted.put(connection, client);
            return;
        }
        LOG.debug("refusing connection {} from {}: {} open", connection, client, max);
        EndPoint ep = connection.getEndPoint();
        try {
            ep.flush(ByteBuffer.wrap(refusal)); // a fresh socket's send buffer takes these few hundred bytes at once
        } catch (Exception ignored) {
            // the client is gone already
        }
        ep.close();
    }

    @Override
    public void onClosed(Connection connection) {
        InetAddress client = counted.remove(connection);
        if (client != null) release(client);
    }

    private void release(InetAddress client) {
        open.computeIfPresent(client, (k, v) -> v <= 1 ? null : v - 1);
    }

    /** Connections let in from one address and still open (for tests and diagnostics). */
    int openConnections(InetAddress client) {
        return open.getOrDefault(client, 0);
    }

    private static InetAddress address(EndPoint ep) {
        return ep.getRemoteSocketAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    }
}
