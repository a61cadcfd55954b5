package io.backstop.server.observe.judge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.route.Deadline;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RemoteProvider;
import io.backstop.server.route.RouteTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks a judge — a local model or a route's targets in order — for a {@link Verdict}, in-process: a
 * local model generates under the engine's JSON-schema constraint; a remote provider is asked with
 * {@code response_format: json_schema} through its breaker and retries. The first valid verdict wins.
 */
public final class Judge {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    private final ModelRegistry models;
    private final RouteTable routes;

    public Judge(ModelRegistry models, RouteTable routes) {
        this.models = models;
        this.routes = routes;
    }

    /** @throws IllegalStateException with every target's reason when none gave a valid verdict */
    public Verdict judge(String judge, List<ChatMessage> messages, int maxTokens) {
        RouteConfig route = routes.route(judge);
        List<RouteConfig.Target> targets = route != null ? route.targets() : List.of(new RouteConfig.Target(RouteConfig.Target.LOCAL, judge, null, null));
        List<String> reasons = new ArrayList<>();
        for (RouteConfig.Target t : targets) {
            try {
                return Verdict.parse(t.isLocal() ? local(t.model(), messages, maxTokens) : remote(t, messages, maxTokens));
            } catch (RuntimeException e) {
                reasons.add(t.label() + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("judge '" + judge + "' gave no verdict (" + String.join("; ", reasons) + ")");
    }

    private String local(String name, List<ChatMessage> messages, int maxTokens) {
        Model model = models.get(name);
        return model.generate(GenerationRequest.builder(Prompt.chat(messages)).greedy().maxTokens(maxTokens).timeout(DEADLINE)
                .constraint(ConstraintSpec.jsonSchema(Verdict.SCHEMA)).build()).text();
    }

    private String remote(RouteConfig.Target t, List<ChatMessage> messages, int maxTokens) {
        RemoteProvider p = routes.provider(t.provider());
        ObjectNode body = JSON.createObjectNode();
        body.put("model", t.model());
        var ms = body.putArray("messages");
        for (ChatMessage m : messages) ms.addObject().put("role", m.role()).put("content", m.content());
        body.put("temperature", 0);
        body.put("max_tokens", maxTokens);
        ObjectNode rf = body.putObject("response_format");
        rf.put("type", "json_schema");
        ObjectNode js = rf.putObject("json_schema");
        js.put("name", "verdict");
        js.put("strict", true);
        js.set("schema", Verdict.schema());
        Deadline deadline = Deadline.in(p.config().deadline().compareTo(DEADLINE) < 0 ? p.config().deadline() : DEADLINE);
        JsonNode answer = p.guard().call(deadline, Duration.ofSeconds(2), () -> p.client().complete("/chat/completions", body, deadline));
        return answer.path("choices").path(0).path("message").path("content").asText("");
    }
}
