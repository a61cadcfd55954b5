package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Prompt;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.route.Deadline;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RemoteProvider;
import io.backstop.server.route.RouteTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A chat completion the server asks for itself (a summary for the context policy): the targets of a
 * route in order — a remote one with its provider's retries and breaker, a local one on its scheduler —
 * until one answers, greedily and without streaming. No client waits on the wire, so there is no hedging.
 */
final class InternalCompletion {
    private final ModelRegistry models;
    private final RouteTable routes;
    private final int timeoutSeconds;

    InternalCompletion(ModelRegistry models, RouteTable routes, int timeoutSeconds) {
        this.models = models;
        this.routes = routes;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** The answer of route or local model {@code name}; {@link IllegalStateException} when no target answers. */
    String chat(String name, List<ChatMessage> messages, int maxTokens) {
        RouteConfig route = routes.route(name);
        List<RouteConfig.Target> targets = route != null ? route.targets() : List.of(new RouteConfig.Target(RouteConfig.Target.LOCAL, name, null, null));
        List<String> failures = new ArrayList<>();
        for (RouteConfig.Target t : targets) {
            try {
                return t.isLocal() ? local(t.model(), messages, maxTokens) : remote(t, route, messages, maxTokens);
            } catch (RuntimeException e) {
                failures.add(t.label() + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("no target of '" + name + "' answered (" + String.join("; ", failures) + ")");
    }

    private String local(String model, List<ChatMessage> messages, int maxTokens) {
        GenerationRequest.Builder b = GenerationRequest.builder(Prompt.chat(messages)).maxTokens(maxTokens).greedy();
        if (timeoutSeconds > 0) b.timeout(Duration.ofSeconds(timeoutSeconds));
        return models.get(model).generate(b.build()).text();
    }

    private String remote(RouteConfig.Target t, RouteConfig route, List<ChatMessage> messages, int maxTokens) {
        RemoteProvider p = routes.provider(t.provider());
        ObjectNode body = Json.object().put("model", t.model()).put("max_tokens", maxTokens).put("temperature", 0).put("stream", false);
        ArrayNode ms = body.putArray("messages");
        for (ChatMessage m : messages) ms.addObject().put("role", m.role()).put("content", m.content());
        Duration d = p.config().deadline();
        if (timeoutSeconds > 0 && Duration.ofSeconds(timeoutSeconds).compareTo(d) < 0) d = Duration.ofSeconds(timeoutSeconds);
        Deadline deadline = Deadline.in(d);
        JsonNode answer = p.guard().call(deadline, route.maxRetryWait(), () -> p.client().complete("/chat/completions", body, deadline));
        JsonNode content = answer.at("/choices/0/message/content");
        if (!content.isTextual() || content.asText().isBlank()) throw new IllegalStateException("answered without content");
        return content.asText();
    }
}
