package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.opentelemetry.api.trace.Span;

/**
 * A request's content on its span, only when content is logged ({@code logging.log_content}):
 * {@code gen_ai.input.messages} and {@code gen_ai.output.messages} as JSON in the GenAI conventions'
 * shape, which trace tools such as Langfuse show as the input and output. Both as the guardrails left
 * them: the prompt the model saw, the answer the client got.
 */
final class ContentAttributes {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContentAttributes() {}

    static void set(Span span, JsonNode body, boolean chat, RequestSummary s) {
        if (body != null) span.setAttribute(GenAi.A_INPUT_MESSAGES, input(body, chat).toString());
        if (s.answer() != null) {
            ArrayNode out = JSON.createArrayNode();
            message(out, "assistant", s.answer());
            span.setAttribute(GenAi.A_OUTPUT_MESSAGES, out.toString());
        }
    }

    private static ArrayNode input(JsonNode body, boolean chat) {
        ArrayNode out = JSON.createArrayNode();
        if (!chat) {
            JsonNode p = body.path("prompt");
            message(out, "user", p.isTextual() ? p.asText() : p.toString());
            return out;
        }
        for (JsonNode m : body.path("messages")) {
            JsonNode c = m.path("content");
            StringBuilder text = new StringBuilder();
            if (c.isTextual()) text.append(c.asText());
            else for (JsonNode part : c) text.append(part.path("text").asText(""));
            message(out, m.path("role").asText("user"), text.toString());
        }
        return out;
    }

    private static void message(ArrayNode to, String role, String text) {
        to.addObject().put("role", role).putArray("parts").addObject().put("type", "text").put("content", text);
    }
}
