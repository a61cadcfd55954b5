package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.guard.CheckResult;
import io.backstop.server.guard.DecisionListener;
import io.backstop.server.guard.GuardAction;
import io.backstop.server.guard.GuardDecision;
import io.backstop.server.guard.GuardMessage;
import io.backstop.server.guard.GuardRequest;
import io.backstop.server.guard.GuardService;
import io.backstop.server.guard.RequestGuard;
import io.backstop.server.guard.Vault;
import io.backstop.server.guard.json.JsonAnswerValidator;
import io.backstop.server.observe.Observation;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The input checks of a request, before routing and before any model work: reads the texts of a chat,
 * a completion prompt or embedding inputs, runs the profile of the name the client called, and then
 * refuses the request (400 {@code content_policy_violation}, or the route's fallback answer), or passes
 * on the request with its findings replaced by placeholders. The {@link RequestGuard} it leaves in the
 * request's context carries the rest (output checks, JSON validation, business rules) to the targets.
 */
final class GuardedInput {
    static final String HEADER = "X-Backstop-Guardrails";

    private final GuardService guards;
    private final ModelRegistry models;
    private final RouteTable routes;

    GuardedInput(GuardService guards, ModelRegistry models, RouteTable routes) {
        this.guards = guards;
        this.models = models;
        this.routes = routes;
    }

    GuardService guards() {
        return guards;
    }

    /**
     * Checks a chat or completion request for {@code name}; returns the fields to route (redacted where a
     * check said so), or null when the request was answered here with the fallback answer.
     */
    Fields completion(Context ctx, String name, Fields f, RoutedCompletion.Endpoint endpoint, RequestMapper.Common common, int choices) {
        JsonAnswerValidator json = JsonFormats.validator(f);
        Fields out;
        try {
            out = check(ctx, name, f, endpoint.chat() ? GuardRequest.Kind.CHAT : GuardRequest.Kind.COMPLETION, json);
        } catch (ApiException refused) { // observed as a request for the name (a text a guardrail blocked is not kept)
            boolean routed = routes.route(name) != null;
            Observation.of(ctx).request(name, routed || models.names().contains(name), routed, endpoint.chat(), common.stream(), f.root());
            throw refused;
        }
        if (out == null) FallbackAnswer.write(ctx, endpoint, common, name, guards.policy(name).fallbackAnswer(), choices);
        return out;
    }

    /** Checks an embeddings request; a block is always a 400 (an embedding has no fallback answer). */
    Fields embedding(Context ctx, String name, Fields f) {
        return check(ctx, name, f, GuardRequest.Kind.EMBEDDING, null);
    }

    /** The fields to route; null when blocked and the name has a fallback answer (never for embeddings). */
    private Fields check(Context ctx, String name, Fields f, GuardRequest.Kind kind, JsonAnswerValidator json) {
        String id = RequestIdOf.get(ctx);
        GuardService.Policy policy = guards.policy(name);
        Observation observation = Observation.of(ctx);
        DecisionListener observed = observed(observation);
        if (policy.guardrails() == null) {
            new RequestGuard(id, policy, null, Vault.empty(), json, guards.log(), observed).attachTo(ctx);
            return f;
        }
        Texts texts = kind == GuardRequest.Kind.CHAT ? chatTexts(f) : promptTexts(f, kind == GuardRequest.Kind.EMBEDDING ? "input" : "prompt", name);
        GuardRequest request = new GuardRequest(id, kind, name, f.string("user"), texts.messages());
        GuardDecision d;
        try (Scope ignored = observation.guardrails("input")) {
            d = policy.guardrails().checkInput(request);
        }
        for (CheckResult r : d.results()) {
            guards.log().record(id, name, "input", r);
            observed.decided("input", r);
        }
        List<String> fired = d.results().stream().filter(r -> r.action() != GuardAction.BLOCK).map(r -> r.check() + "=" + r.action().lower()).toList();
        if (!fired.isEmpty()) ctx.header(HEADER, String.join(", ", fired));
        if (d.blocked()) {
            if (policy.fallbackAnswer() == null || kind == GuardRequest.Kind.EMBEDDING) throw refused(d.message());
            return null;
        }
        new RequestGuard(id, policy, request.withMessages(d.messages()), d.vault(), json, guards.log(), observed).attachTo(ctx);
        return d.redacted() ? texts.rewrite(f, d.messages()) : f;
    }

    /** The request's observation hears the guardrails' decisions and the answer they let through. */
    private static DecisionListener observed(Observation observation) {
        return new DecisionListener() {
            @Override
            public void decided(String stage, CheckResult r) {
                observation.guardrail(stage, r.check(), r.action().lower());
            }

            @Override
            public void delivered(String answer) {
                observation.delivered(answer);
            }
        };
    }

    /** 400 naming the check, in the words of {@link GuardDecision#message()} (never the matched text). */
    static ApiException refused(String message) {
        return new ApiException(400, "invalid_request_error", null, "content_policy_violation", message, Map.of());
    }

    /** The texts a request holds, and how to put changed ones back into a copy of its JSON. */
    private record Texts(List<GuardMessage> messages, List<Writer> writers) {
        interface Writer {
            void write(ObjectNode root, String text);
        }

        Fields rewrite(Fields f, List<GuardMessage> changed) {
            ObjectNode root = ((ObjectNode) f.root()).deepCopy();
            for (int i = 0; i < changed.size(); i++) {
                if (!changed.get(i).text().equals(messages.get(i).text())) writers.get(i).write(root, changed.get(i).text());
            }
            return new Fields(root);
        }
    }

    /** A chat's messages (already validated): content strings, or their text parts joined. */
    private static Texts chatTexts(Fields f) {
        List<GuardMessage> messages = new ArrayList<>();
        List<Texts.Writer> writers = new ArrayList<>();
        JsonNode ms = f.node("messages");
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            JsonNode c = m.get("content");
            StringBuilder text = new StringBuilder();
            if (c != null && c.isTextual()) text.append(c.asText());
            else if (c != null && c.isArray()) for (JsonNode part : c) text.append(part.path("text").asText(""));
            else continue;
            int at = i;
            messages.add(new GuardMessage(m.path("role").asText(), text.toString()));
            writers.add((root, t) -> ((ObjectNode) root.withArray("messages").get(at)).put("content", t));
        }
        return new Texts(messages, writers);
    }

    /**
     * A completion prompt or embedding inputs: a string, token ids, or a list of either. Token ids are read
     * through the name's local model, so they cannot slip past the checks; a redacted one is sent as text.
     */
    private Texts promptTexts(Fields f, String field, String name) {
        List<GuardMessage> messages = new ArrayList<>();
        List<Texts.Writer> writers = new ArrayList<>();
        JsonNode p = f.node(field);
        if (p.isTextual() || p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
            messages.add(new GuardMessage("user", text(p, field, name)));
            writers.add((root, t) -> root.put(field, t));
        } else {
            for (int i = 0; i < p.size(); i++) {
                int at = i;
                messages.add(new GuardMessage("user", text(p.get(i), field, name)));
                writers.add((root, t) -> ((ArrayNode) root.get(field)).set(at, root.textNode(t)));
            }
        }
        return new Texts(messages, writers);
    }

    private String text(JsonNode p, String field, String name) {
        if (p.isTextual()) return p.asText();
        String local = localModel(name);
        if (local == null) {
            throw ApiException.invalid(field, "the guardrails of '" + name + "' read text only: send the " + field + " as text, not token ids");
        }
        return models.get(local).detokenize(Fields.tokenIds(p, field, field));
    }

    /** The local model that reads token ids for {@code name}: itself, or a route's first local target. */
    private String localModel(String name) {
        if (models.names().contains(name)) return name;
        RouteConfig r = routes.route(name);
        if (r == null) return null;
        return r.targets().stream().filter(RouteConfig.Target::isLocal).map(RouteConfig.Target::model).findFirst().orElse(null);
    }
}
