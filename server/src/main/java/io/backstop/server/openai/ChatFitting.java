package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.ChatMessage;
import io.backstop.engine.ContextOverflowException;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.guard.GuardService;
import io.backstop.server.guard.InputGuard;
import io.backstop.server.guard.RequestGuard;
import io.backstop.server.guard.context.ContextFitter;
import io.backstop.server.guard.context.ContextPolicy;
import io.javalin.http.Context;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context policy of a chat, per target: a local target counts the chat with its own tokenizer and
 * chat template against the positions it can compute; a remote target of a route with
 * {@code context_tokens} is counted at about four characters per token. A chat that leaves too little
 * room for the answer is truncated or summarized ({@link ContextFitter}); the policy {@code error}
 * changes nothing, and the target refuses the chat as it always has.
 */
final class ChatFitting {
    private static final Logger LOG = LoggerFactory.getLogger(ChatFitting.class);
    static final String SUMMARY_INSTRUCTION = "Summarize the conversation below in a few sentences for an assistant that will continue it. "
            + "Keep names, numbers, facts, decisions and open questions. Write only the summary.";

    private final GuardService guards;
    private final InternalCompletion internal;

    ChatFitting(GuardService guards, InternalCompletion internal) {
        this.guards = guards;
        this.internal = internal;
    }

    /** The chat for a local target, fitted to its context. */
    Fields local(Context ctx, Fields f, Model model, RouteConfig.Target target, Integer defaultMaxTokens) {
        GuardService.Policy policy = RequestGuard.of(ctx).policy();
        if (policy == null || policy.attachment().contextPolicy() == ContextPolicy.ERROR) return f;
        int limit = model.info().usablePositions();
        ContextFitter.Counter counter = messages -> {
            try {
                return model.promptTokens(Prompt.chat(messages)).length;
            } catch (ContextOverflowException certainlyTooLong) {
                return certainlyTooLong.promptTokens();
            }
        };
        return fit(ctx, f, policy, limit, reserve(f, target, defaultMaxTokens, limit), counter, target.label());
    }

    /** The chat for a remote target, fitted to the route's {@code context_tokens} when it has them. */
    Fields remote(Context ctx, Fields f, RouteConfig.Target target) {
        GuardService.Policy policy = RequestGuard.of(ctx).policy();
        if (policy == null || policy.attachment().contextPolicy() == ContextPolicy.ERROR || policy.attachment().contextTokens() == null) return f;
        int limit = policy.attachment().contextTokens();
        ContextFitter.Counter counter = messages -> {
            int n = 3;
            for (ChatMessage m : messages) n += InputGuard.estimateTokens(m.content()) + 4; // a few tokens of framing per message
            return n;
        };
        return fit(ctx, f, policy, limit, reserve(f, target, null, limit), counter, target.label());
    }

    /** Room kept for the answer: what the request (or target, or model) asks for, at most a quarter of the context. */
    private static int reserve(Fields f, RouteConfig.Target target, Integer defaultMaxTokens, int limit) {
        Integer asked = target.maxTokens() != null ? target.maxTokens()
                : f.has("max_completion_tokens") ? f.integer("max_completion_tokens") : f.integer("max_tokens");
        if (asked == null) asked = defaultMaxTokens;
        return asked == null ? limit / 4 : Math.min(asked, limit / 4);
    }

    private Fields fit(Context ctx, Fields f, GuardService.Policy policy, int limit, int reserve, ContextFitter.Counter counter, String target) {
        List<ChatMessage> messages = ChatMessages.parse(f.node("messages"));
        GuardService.Policy p = policy;
        ContextFitter.Summarizer summarizer = p.attachment().summaryRoute() == null ? null : older -> guards.summaries().get(
                ContextFitter.key(p.attachment().summaryRoute(), older),
                () -> internal.chat(p.attachment().summaryRoute(), summaryPrompt(older), p.attachment().summaryMaxTokens()));
        ContextFitter.Plan plan = ContextFitter.plan(messages, limit - reserve, p.attachment().contextPolicy(), counter, summarizer, p.attachment().summaryMaxTokens());
        if (plan == null) return f;
        LOG.info("request {}: route '{}' {}: {} of {} messages {} to fit {} tokens of {} (context {}, {} kept for the answer)", RequestIdOf.get(ctx),
                p.name(), p.attachment().contextPolicy().lower(), plan.dropped(), messages.size(), plan.summary() == null ? "dropped" : "summarized",
                limit - reserve, target, limit, reserve);
        return apply(f, plan);
    }

    static List<ChatMessage> summaryPrompt(List<ChatMessage> older) {
        StringBuilder transcript = new StringBuilder();
        for (ChatMessage m : older) transcript.append(m.role()).append(": ").append(m.content().strip()).append("\n\n");
        return List.of(ChatMessage.system(SUMMARY_INSTRUCTION), ChatMessage.user(transcript.toString().strip()));
    }

    /** The request with the plan's messages: kept ones as sent (every field of theirs), the summary in the system prompt. */
    private static Fields apply(Fields f, ContextFitter.Plan plan) {
        ObjectNode root = ((ObjectNode) f.root()).deepCopy();
        ArrayNode old = (ArrayNode) root.get("messages");
        ArrayNode kept = root.arrayNode();
        for (int i : plan.kept()) kept.add(old.get(i));
        if (plan.summary() != null) {
            ObjectNode system = null;
            for (JsonNode m : kept) {
                if (ContextFitter.isSystem(m.path("role").asText())) {
                    system = (ObjectNode) m;
                    break;
                }
            }
            if (system != null) system.put("content", ContextFitter.withSummary(text(system.get("content")), plan.summary()));
            else kept.insert(0, root.objectNode().put("role", "system").put("content", ContextFitter.withSummary(null, plan.summary())));
        }
        root.set("messages", kept);
        return new Fields(root);
    }

    private static String text(JsonNode content) {
        if (content.isTextual()) return content.asText();
        StringBuilder b = new StringBuilder();
        for (JsonNode part : content) b.append(part.path("text").asText(""));
        return b.toString();
    }
}
