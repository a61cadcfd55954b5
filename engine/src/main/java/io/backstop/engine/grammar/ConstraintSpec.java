package io.backstop.engine.grammar;

import io.backstop.engine.grammar.gbnf.GbnfParser;
import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.ir.Grammar;
import io.backstop.engine.grammar.json.JsonSchemaCompiler;
import io.backstop.engine.grammar.regex.CharEncoder;
import io.backstop.engine.grammar.regex.RegexParser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What a generation must produce. Records compare by value, so equal specs share one compiled
 * grammar. {@link #field()} is the request field it came from (for error messages).
 */
public sealed interface ConstraintSpec {
    /** Any JSON object ({@code response_format: {"type": "json_object"}}). */
    record JsonObject(GrammarLimits limits) implements ConstraintSpec {
        public String field() {
            return "response_format";
        }
    }

    /** A document valid against a JSON schema given as JSON text. */
    record JsonSchema(String schema, GrammarLimits limits) implements ConstraintSpec {
        public String field() {
            return "response_format.json_schema.schema";
        }
    }

    /** Text matching a regular expression whole ({@code guided_regex}). */
    record Regex(String pattern) implements ConstraintSpec {
        public String field() {
            return "guided_regex";
        }
    }

    /** Exactly one of the given strings ({@code guided_choice}). */
    record Choice(List<String> choices) implements ConstraintSpec {
        public Choice {
            choices = List.copyOf(choices);
        }

        public String field() {
            return "guided_choice";
        }
    }

    /** Text matching a llama.cpp GBNF grammar from its {@code root} rule ({@code grammar}). */
    record Gbnf(String grammar) implements ConstraintSpec {
        public String field() {
            return "grammar";
        }
    }

    /**
     * Documents of a JSON schema between fixed texts — how models write tool calls:
     * {@code open item (separator item)* close}, with {@code minItems..maxItems} items (maxItems
     * {@link io.backstop.engine.grammar.ir.Expr.Repeat#UNBOUNDED} for no limit). E.g. Hermes-style
     * {@code <tool_call>\n{...}\n</tool_call>} or a JSON array {@code [{...}, {...}]}.
     */
    record Framed(String open, JsonSchema item, String separator, String close, int minItems, int maxItems) implements ConstraintSpec {
        public Framed {
            if (minItems < 1 || (maxItems != Expr.Repeat.UNBOUNDED && maxItems < minItems)) {
                throw new IllegalArgumentException("bad item counts " + minItems + ".." + maxItems);
            }
        }

        public String field() {
            return "tools";
        }
    }

    /**
     * Free text until a trigger appears, then {@code body}: how {@code tool_choice: auto} lets a model
     * answer in prose or start a tool call, which is then held to its grammar to the end of the output.
     */
    record Triggered(ConstraintSpec body, List<Trigger> triggers) implements ConstraintSpec {
        public Triggered {
            triggers = List.copyOf(triggers);
            if (triggers.isEmpty()) throw new IllegalArgumentException("at least one trigger is needed");
            if (body instanceof Triggered) throw new IllegalArgumentException("a triggered body cannot be triggered itself");
        }

        public String field() {
            return body.field();
        }
    }

    /**
     * What starts a {@link Triggered} body: {@code text} in the output, or a special token whose text it
     * is (e.g. {@code <|python_tag|>}).
     *
     * @param partOfBody the trigger's text is the start of the body (e.g. {@code <tool_call>}), not a marker
     *                   before it (a special token is only ever a marker)
     * @param atStart    counts only at the start of the output (after whitespace), e.g. a bare {@code {}
     */
    record Trigger(String text, boolean partOfBody, boolean atStart) {
        public Trigger {
            if (text == null || text.isEmpty()) throw new IllegalArgumentException("a trigger needs text");
        }
    }

    /** Any one of several specs (e.g. a tool call or a JSON answer). */
    record AnyOf(List<ConstraintSpec> alternatives) implements ConstraintSpec {
        public AnyOf {
            alternatives = List.copyOf(alternatives);
            if (alternatives.isEmpty()) throw new IllegalArgumentException("at least one alternative is needed");
            for (ConstraintSpec a : alternatives) {
                if (a instanceof Triggered) throw new IllegalArgumentException("a triggered spec cannot be an alternative");
            }
        }

        public String field() {
            return alternatives.getFirst().field();
        }
    }

    String field();

    static ConstraintSpec jsonObject() {
        return new JsonObject(GrammarLimits.defaults());
    }

    static ConstraintSpec jsonSchema(String schema) {
        return new JsonSchema(schema, GrammarLimits.defaults());
    }

    static ConstraintSpec regex(String pattern) {
        return new Regex(pattern);
    }

    static ConstraintSpec choice(List<String> choices) {
        return new Choice(choices);
    }

    static ConstraintSpec gbnf(String grammar) {
        return new Gbnf(grammar);
    }

    /** The grammar of this spec. */
    default Grammar toGrammar() {
        return switch (this) {
            case JsonObject j -> JsonSchemaCompiler.anyObject(j.limits());
            case JsonSchema j -> {
                if (j.schema() == null || j.schema().isBlank()) throw new GrammarException("a JSON schema is required");
                yield JsonSchemaCompiler.compile(j.schema(), j.limits());
            }
            case Regex r -> {
                if (r.pattern() == null) throw new GrammarException("a regular expression is required");
                yield Grammar.of(RegexParser.whole(r.pattern(), CharEncoder.UTF8));
            }
            case Choice c -> {
                if (c.choices().isEmpty()) throw new GrammarException("guided_choice must list at least one choice");
                List<Expr> alts = new ArrayList<>();
                for (String s : new LinkedHashSet<>(c.choices())) {
                    if (s == null) throw new GrammarException("guided_choice must not contain null");
                    alts.add(Expr.literal(s));
                }
                yield Grammar.of(Expr.alt(alts));
            }
            case Gbnf g -> {
                if (g.grammar() == null || g.grammar().isBlank()) throw new GrammarException("grammar", "the GBNF grammar is empty");
                yield GbnfParser.parse(g.grammar());
            }
            case Framed f -> Grammars.framed(f.open(), f.item().toGrammar(), f.separator(), f.close(), f.minItems(), f.maxItems());
            case Triggered t -> t.body().toGrammar();
            case AnyOf a -> Grammars.anyOf(a.alternatives().stream().map(ConstraintSpec::toGrammar).toList());
        };
    }
}
