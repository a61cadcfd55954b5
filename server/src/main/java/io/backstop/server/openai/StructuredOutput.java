package io.backstop.server.openai;

import io.backstop.engine.GenerationRequest;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.Model;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.GrammarLimits;
import io.backstop.server.openai.structured.OutputConstraint;
import io.backstop.server.openai.tools.ToolPlan;
import io.backstop.server.openai.tools.ToolRequest;
import java.util.Set;

/**
 * What a request asks of its output beyond sampling — a response format or grammar, tools — read once
 * (so a malformed field is refused before any target runs) and applied per local model, whose chat
 * template decides the tool-call syntax. A remote target gets the request's fields unchanged.
 *
 * @param output null for free text
 * @param tools  null without tools
 */
record StructuredOutput(OutputConstraint output, ToolRequest tools) {
    static final StructuredOutput NONE = new StructuredOutput(null, null);

    static StructuredOutput parse(Fields f, boolean chat) {
        OutputConstraint output = OutputConstraint.parse(f);
        ToolRequest tools = chat ? ToolRequest.parse(f) : null;
        return output == null && tools == null ? NONE : new StructuredOutput(output, tools);
    }

    /** How a local model serves it; schemas and grammars are compiled here (cached per model), errors name the field. */
    Local forModel(Model model) {
        if (this == NONE) return Local.FREE;
        GrammarLimits limits = GrammarLimits.defaults();
        ConstraintSpec out = output == null ? null : output.spec().apply(limits);
        ToolPlan plan = tools == null ? null : ToolPlan.of(tools, model, out, limits);
        if (out != null) compile(model, out, output.param());
        ConstraintSpec spec = plan != null ? plan.constraint() : out;
        if (spec != null && spec != out) compile(model, spec, tools.legacy() ? "functions" : "tools");
        return new Local(spec, plan);
    }

    private static void compile(Model model, ConstraintSpec spec, String param) {
        try {
            model.constraint(spec, Set.of());
        } catch (InvalidRequestException e) {
            throw ApiException.invalid(param, e.getMessage());
        }
    }

    /** The constraint and tools of one local model. */
    record Local(ConstraintSpec constraint, ToolPlan tools) {
        static final Local FREE = new Local(null, null);

        GenerationRequest apply(GenerationRequest r) {
            GenerationRequest out = constraint == null ? r : r.withConstraint(constraint);
            return tools == null ? out : out.withPrompt(tools.prompt(out.prompt()));
        }
    }
}
