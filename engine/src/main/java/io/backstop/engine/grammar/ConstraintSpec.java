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
        };
    }
}
