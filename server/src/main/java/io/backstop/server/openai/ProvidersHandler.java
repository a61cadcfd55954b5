package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.route.ProviderStatus;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import java.util.Locale;

/** GET /v1/providers: each remote provider's breaker state and cool-down, so operators see why a route skips it. */
public final class ProvidersHandler {
    private final RouteTable routes;

    public ProvidersHandler(RouteTable routes) {
        this.routes = routes;
    }

    public void list(Context ctx) {
        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (ProviderStatus s : routes.providerStatus()) {
            ObjectNode p = data.addObject();
            p.put("id", s.name());
            p.put("object", "provider");
            p.put("available", s.available());
            p.put("breaker", s.breaker().name().toLowerCase(Locale.ROOT));
            p.put("cooldown_remaining_ms", s.cooldownLeft().toMillis());
            if (s.cooldownUntil() == null) p.putNull("cooldown_until");
            else p.put("cooldown_until", s.cooldownUntil().toString());
        }
        ctx.contentType("application/json").result(Json.write(root));
    }
}
