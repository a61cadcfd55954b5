package io.backstop.server.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Notices a client that hung up while its request is being worked on. Jetty reads nothing from a
 * connection while a request on it is handled, so a closed socket goes unseen until the response is
 * written; a generation could run for minutes for nobody. The check tries a one-byte, non-blocking read
 * on the connection: end of stream means the client is gone. (A byte that arrives is the start of a
 * pipelined request, which this server then refuses by closing the connection after the response.)
 */
public final class ClientConnection {
    private ClientConnection() {}

    /** A cheap check to poll while waiting: true once the client has closed the connection. */
    public static BooleanSupplier closedCheck(Context ctx) {
        Request base = Request.getBaseRequest(ctx.req());
        if (base == null) return () -> false;
        EndPoint ep = base.getHttpChannel().getEndPoint();
        ByteBuffer one = BufferUtil.allocate(1);
        boolean[] pipelined = {false};
        return () -> {
            if (!ep.isOpen() || ep.isInputShutdown()) return true;
            if (pipelined[0]) return false;
            try {
                BufferUtil.clear(one);
                int n = ep.fill(one);
                if (n < 0) return true;
                if (n > 0) {
                    pipelined[0] = true;
                    ctx.header("Connection", "close");
                }
                return false;
            } catch (IOException e) {
                return true;
            }
        };
    }
}
