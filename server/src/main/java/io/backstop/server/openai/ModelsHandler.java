package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.route.ModelRegistry;
import io.javalin.http.Context;

/** GET /v1/models and GET /v1/models/{id}. */
public final class ModelsHandler {
    private final ModelRegistry models;
    private final io.backstop.server.route.RouteTable routes;
    private final ModelAliases aliases;
    private final long created = System.currentTimeMillis() / 1000;

    public ModelsHandler(ModelRegistry models, io.backstop.server.route.RouteTable routes, ModelAliases aliases) {
        this.models = models;
        this.routes = routes;
        this.aliases = aliases;
    }

    public void list(Context ctx) {
        ObjectNode root = Json.object();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String name : routes.routeNames()) data.add(model(name).put("owned_by", "backstop-route"));
        for (String name : models.names()) data.add(model(name));
        aliases.all().forEach((alias, target) -> data.add(alias(alias, target)));
        ctx.contentType("application/json").result(Json.write(root));
    }

    public void get(Context ctx) {
        String id = ctx.pathParam("id");
        if (aliases.all().containsKey(id)) {
            ctx.contentType("application/json").result(Json.write(alias(id, aliases.resolve(id))));
            return;
        }
        if (routes.route(id) != null) {
            ctx.contentType("application/json").result(Json.write(model(id).put("owned_by", "backstop-route")));
            return;
        }
        models.config(id); // 404 when unknown
        ctx.contentType("application/json").result(Json.write(model(id)));
    }

    /** An alias is listed as a model of its own, saying what it stands for. */
    private ObjectNode alias(String alias, String target) {
        return model(alias).put("owned_by", "backstop-alias").put("alias_of", target);
    }

    private ObjectNode model(String name) {
        ObjectNode m = Json.object();
        m.put("id", name);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "backstop");
        return m;
    }
}
