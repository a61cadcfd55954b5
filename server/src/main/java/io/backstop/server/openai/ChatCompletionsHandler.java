package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.List;

/** POST /v1/chat/completions. */
public final class ChatCompletionsHandler implements Handler {
    private static final RoutedCompletion.Endpoint ENDPOINT = new RoutedCompletion.Endpoint("/chat/completions", true,
            f -> Prompt.chat(messages(f.node("messages"))), common -> new ChatFormat(common.logprobs() != null, common.includeUsage()));

    private final ModelRegistry models;
    private final RouteTable routes;
    private final CompletionRunner runner;
    private final RoutedCompletion routed;
    private final int timeoutSeconds;

    public ChatCompletionsHandler(ModelRegistry models, RouteTable routes, io.backstop.server.http.RequestLog log, int timeoutSeconds) {
        this.models = models;
        this.routes = routes;
        this.runner = new CompletionRunner(log);
        this.routed = new RoutedCompletion(models, routes, runner, timeoutSeconds);
        this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String name = f.requiredString("model");
        var route = routes.route(name);
        if (route != null) {
            routed.run(ctx, route, f, ENDPOINT);
            return;
        }
        List<ChatMessage> messages = messages(f.node("messages"));
        RequestMapper.Common common = RequestMapper.common(f, true);
        Model model = models.get(name);
        var requests = RequestMapper.requests(f, Prompt.chat(messages), common, models.config(name).defaults(), timeoutSeconds);
        ctx.header(RoutedCompletion.PROVIDER_HEADER, "local");
        ctx.header(RoutedCompletion.MODEL_HEADER, name);
        runner.run(ctx, model, requests, ENDPOINT.format().apply(common), common);
    }

    static List<ChatMessage> messages(JsonNode n) {
        if (n == null) throw ApiException.invalid("messages", "missing required field: messages");
        if (!n.isArray()) throw ApiException.invalid("messages", "messages must be an array");
        if (n.isEmpty()) throw ApiException.invalid("messages", "messages must contain at least one message");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            String p = "messages[" + i + "]";
            JsonNode m = n.get(i);
            if (!m.isObject()) throw ApiException.invalid(p, p + " must be an object with role and content");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw ApiException.invalid(p + ".role", p + ".role must be a string");
            if (!ChatMessage.ROLES.contains(role.asText())) {
                throw ApiException.invalid(p + ".role", p + ".role '" + role.asText() + "' is not supported; use system, developer, user or assistant");
            }
            out.add(new ChatMessage(role.asText(), content(m.get("content"), p + ".content")));
        }
        return out;
    }

    /** A string, or an array of parts of which only {"type":"text"} is understood. */
    private static String content(JsonNode c, String p) {
        if (c == null || c.isNull()) throw ApiException.invalid(p, p + " is required");
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiException.invalid(p, p + " must be a string or an array of content parts");
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            JsonNode part = c.get(j);
            String pp = p + "[" + j + "]";
            String type = part.path("type").asText("");
            if (!type.equals("text")) {
                throw ApiException.invalid(pp + ".type", pp + ".type '" + type + "' is not supported: this model reads text parts only");
            }
            if (!part.path("text").isTextual()) throw ApiException.invalid(pp + ".text", pp + ".text must be a string");
            sb.append(part.path("text").asText());
        }
        return sb.toString();
    }
}
