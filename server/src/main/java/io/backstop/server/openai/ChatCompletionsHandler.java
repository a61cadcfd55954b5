package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.Prompt;
import io.backstop.server.http.RequestLog;
import io.backstop.server.lifecycle.InFlight;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.List;

/** POST /v1/chat/completions. */
public final class ChatCompletionsHandler implements Handler {
    private static final RoutedCompletion.Endpoint ENDPOINT = new RoutedCompletion.Endpoint("/chat/completions", true,
            f -> List.of(Prompt.chat(messages(f.node("messages")))),
            (common, model) -> new ChatFormat(common.logprobs() != null, common.includeUsage()), RequestMapper.Rules.CHAT);

    private final RoutedCompletion completions;
    private final ModelAliases aliases;

    public ChatCompletionsHandler(ModelRegistry models, RouteTable routes, RequestLog log, InFlight inFlight, ModelAliases aliases,
                                  int timeoutSeconds) {
        this.completions = new RoutedCompletion(models, routes, new CompletionRunner(log, inFlight), timeoutSeconds);
        this.aliases = aliases;
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        completions.serve(ctx, aliases.resolve(f.requiredString("model")), f, ENDPOINT);
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
