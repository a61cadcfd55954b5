package io.backstop.server.http;

import io.backstop.server.config.ServerConfig;
import io.javalin.config.JavalinConfig;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.EnumSet;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.FilterHolder;

/**
 * The Jetty under Javalin, hardened: our own connector (bind address, a per-client connection limit, a
 * header timeout), JSON instead of Jetty's HTML error pages, and the {@link RequestGate} in front of
 * every request.
 */
final class JettySetup {
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private JettySetup() {}

    /** @return the connector, once Javalin has created it (holder[0]) */
    static ServerConnector[] apply(JavalinConfig cfg, ServerConfig config, RequestGate gate) {
        ServerConnector[] holder = new ServerConnector[1];
        cfg.jetty.modifyServer(server -> {
            server.setErrorHandler(new JsonErrorHandler());
            // stopping waits for responses still being written (the endings of drained streams), then closes
            server.setStopTimeout(STOP_TIMEOUT.toMillis());
        });
        cfg.jetty.modifyServletContextHandler(context -> {
            context.setErrorHandler(new JsonErrorHandler());
            context.addFilter(new FilterHolder(gate), "/*", EnumSet.of(DispatcherType.REQUEST));
        });
        cfg.jetty.addConnector((server, http) -> {
            ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
            c.setHost(config.host());
            c.setPort(config.port());
            c.addBean(new HeaderTimeout(Duration.ofSeconds(config.http().headerTimeoutSeconds()), c.getScheduler()));
            if (config.http().maxConnectionsPerClient() > 0) c.addBean(new ClientConnectionLimit(config.http().maxConnectionsPerClient()));
            holder[0] = c;
            return c;
        });
        return holder;
    }
}
