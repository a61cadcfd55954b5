package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.grammar.automaton.AutomatonCompiler;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.grammar.mask.TokenMasks;
import io.backstop.engine.grammar.mask.VocabIndex;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** JSON Schema → grammar: which documents it takes, and which schemas it refuses (naming the keyword). */
class JsonSchemaGrammarTest {
    static final TestVocab VOCAB = TestVocab.random(3000, 8, 11);

    static GrammarMatcher matcher(ConstraintSpec spec) {
        return new TokenMasks(AutomatonCompiler.compile(spec.toGrammar()), VocabIndex.of(VOCAB)).newMatcher(new int[] {VOCAB.eos()});
    }

    static int check(String schema, String doc) {
        return matcher(ConstraintSpec.jsonSchema(schema)).check(doc.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void objectsFollowDeclarationOrderWithOptionalMembers() {
        String s = Schemas.all().get("person");
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3}")).isEqualTo(1);
        assertThat(check(s, "{\n  \"name\": \"Ann\",\n  \"age\": -3,\n  \"active\": true\n}")).isEqualTo(1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3,\"tags\":[\"a\",\"b\"],\"active\":false}")).isEqualTo(1);
        assertThat(check(s, "{\"age\":3,\"name\":\"Ann\"}")).as("order").isEqualTo(-1);
        assertThat(check(s, "{\"name\":\"Ann\"}")).as("required age").isEqualTo(-1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3,\"tags\":[]}")).as("minItems").isEqualTo(-1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3,\"tags\":[\"a\",\"b\",\"c\",\"d\"]}")).as("maxItems").isEqualTo(-1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3.5}")).as("integer").isEqualTo(-1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3,\"birthday\":\"2024-02-29\"}")).isEqualTo(1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3,\"birthday\":\"2023-02-29\"}")).as("no leap day").isEqualTo(-1);
        assertThat(check(s, "{\"name\":\"Ann\",\"age\":3,\"email\":\"a.b@example.com\"}")).isEqualTo(1);
        assertThat(check(s, "{\"name\":\"A\\\"n\\u00e9\\n\",\"age\":3}")).as("escapes").isEqualTo(1);
        assertThat(check(s, "{\"name\":\"A\nB\",\"age\":3}")).as("raw newline in a string").isEqualTo(-1);
    }

    @Test
    void enumsConstsAnyOfRefsAndPatterns() {
        var all = Schemas.all();
        assertThat(check(all.get("enums"), "{\"color\":\"green\",\"kind\":\"fixed\",\"size\":2.5}")).isEqualTo(1);
        assertThat(check(all.get("enums"), "{\"color\":\"green\",\"kind\":\"fixed\",\"size\":\"x\\\"y\"}")).isEqualTo(1);
        assertThat(check(all.get("enums"), "{\"color\":\"pink\"")).isEqualTo(-1);
        assertThat(check(all.get("enums"), "{\"color\":\"red\",\"kind\":\"other\"")).isEqualTo(-1);
        assertThat(check(all.get("anyOf"), "{\"id\":12,\"note\":null,\"when\":\"2024-01-02T03:04:05Z\"}")).isEqualTo(1);
        assertThat(check(all.get("anyOf"), "{\"id\":\"123e4567-e89b-12d3-a456-426614174000\",\"note\":\"n\",\"when\":\"2024-01-02T03:04:05.123+01:00\"}")).isEqualTo(1);
        assertThat(check(all.get("anyOf"), "{\"id\":\"123e4567")).isEqualTo(0);
        assertThat(check(all.get("anyOf"), "{\"id\":\"123e4567\",")).isEqualTo(-1);
        assertThat(check(all.get("tree"), "{\"value\":1,\"children\":[{\"value\":2,\"children\":[]},{\"value\":3e2,\"children\":[{\"value\":-0.5,\"children\":[]}]}]}")).isEqualTo(1);
        assertThat(check(all.get("tree"), "{\"value\":1,\"children\":[{\"value\":2,\"children\":[]},{\"value\":2,\"children\":[]},{")).isEqualTo(-1);
        assertThat(check(all.get("pattern"), "{\"code\":\"ABC-123\",\"points\":[[1,2],[3,4.5]]}")).isEqualTo(1);
        assertThat(check(all.get("pattern"), "{\"code\":\"AB-123\"")).isEqualTo(-1);
        assertThat(check(all.get("pattern"), "{\"code\":\"ABC-12345\"")).isEqualTo(-1);
        assertThat(check(all.get("list"), "[\"a\",\"12345678\"]")).isEqualTo(1);
        assertThat(check(all.get("list"), "[\"a\",\"123456789\"]")).isEqualTo(-1);
        assertThat(check(all.get("list"), "[\"a\",\"\"]")).isEqualTo(-1);
        assertThat(check(all.get("map"), "{\"a\": 1, \"b\": -2}")).isEqualTo(1);
        assertThat(check(all.get("map"), "{\"a\": \"x\"}")).isEqualTo(-1);
        assertThat(check(all.get("any"), "[{\"a\": [1, {\"b\": null}]}, \"s\", true]")).isEqualTo(1);
    }

    @Test
    void jsonObjectIsAnyObjectAndNothingElse() {
        GrammarMatcher m = matcher(ConstraintSpec.jsonObject());
        assertThat(m.check("{\"a\":[1,2,{\"b\":\"c\"}],\"d\":{}}".getBytes())).isEqualTo(1);
        assertThat(m.check("[1]".getBytes())).isEqualTo(-1);
        assertThat(m.check(" {}".getBytes())).as("no leading whitespace").isEqualTo(-1);
        assertThat(m.check("{} ".getBytes())).as("nothing after the document").isEqualTo(-1);
    }

    @Test
    void whitespaceAndStringsAreBounded() {
        GrammarMatcher m = matcher(new ConstraintSpec.JsonObject(new GrammarLimits(2, 5)));
        assertThat(m.check("{  \"abcde\": 1}".getBytes())).isEqualTo(1);
        assertThat(m.check("{   \"a\": 1}".getBytes())).as("3 spaces").isEqualTo(-1);
        assertThat(m.check("{\"abcdef\": 1}".getBytes())).as("6 characters").isEqualTo(-1);
        assertThat(m.check("{\"\\n\\n\\n\\n\\n\": 1}".getBytes())).as("escapes count as one").isEqualTo(1);
    }

    @Test
    void refusedSchemasNameTheKeyword() {
        assertRefused("{\"type\":\"integer\",\"minimum\":3}", "minimum");
        assertRefused("{\"oneOf\":[{\"type\":\"string\"}]}", "oneOf");
        assertRefused("{\"type\":\"object\",\"properties\":{\"a\":{\"allOf\":[]}}}", "allOf");
        assertRefused("{\"type\":\"string\",\"format\":\"uri\"}", "format");
        assertRefused("{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}", "items");
        assertRefused("{\"type\":\"array\",\"prefixItems\":[]}", "prefixItems");
        assertRefused("{\"$ref\":\"https://example.com/s.json\"}", "$ref");
        assertRefused("{\"$ref\":\"#/$defs/missing\"}", "$ref");
        assertRefused("{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}", "pattern");
        assertRefused("{\"type\":\"object\",\"properties\":{\"a\":{}},\"required\":[\"b\"]}", "required");
        assertRefused("{\"type\":\"strange\"}", "type");
        assertThatThrownBy(() -> ConstraintSpec.jsonSchema("{not json").toGrammar()).hasMessageContaining("not valid JSON");
    }

    private static void assertRefused(String schema, String keyword) {
        assertThatThrownBy(() -> AutomatonCompiler.compile(ConstraintSpec.jsonSchema(schema).toGrammar()))
                .isInstanceOf(GrammarException.class)
                .hasMessageContaining("'" + keyword + "'")
                .satisfies(e -> assertThat(((GrammarException) e).keyword()).isEqualTo(keyword));
    }

    @Test
    void masksEqualBruteForceOnEverySchema() {
        for (var e : Schemas.all().entrySet()) {
            GrammarMatcher m = matcher(ConstraintSpec.jsonSchema(e.getValue()));
            assertThat(BruteForce.compareAlongRandomWalk(m, VOCAB, Set.of(VOCAB.eos()), 60, new Random(e.getKey().hashCode())))
                    .as(e.getKey()).isPositive();
        }
        GrammarMatcher m = matcher(ConstraintSpec.jsonObject());
        assertThat(BruteForce.compareAlongRandomWalk(m, VOCAB, Set.of(VOCAB.eos()), 100, new Random(5))).isPositive();
    }
}
