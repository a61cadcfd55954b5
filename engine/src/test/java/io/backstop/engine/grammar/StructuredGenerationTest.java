package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding on the real stories260K model (which knows nothing of JSON: its logits are noise
 * for this task): 100 seeded, sampled generations per schema, every one a complete document that
 * parses and validates, finished within max_tokens.
 */
class StructuredGenerationTest {
    static final int RUNS = 100;
    static final int MAX_TOKENS = 200;
    static final String PROMPT = "Once upon a time";

    static GenerationResult generate(ConstraintSpec spec, long seed) {
        return generate(spec, seed, MAX_TOKENS);
    }

    static GenerationResult generate(ConstraintSpec spec, long seed, int maxTokens) {
        Model m = TestModels.stories();
        return m.generate(GenerationRequest.text(PROMPT).temperature(1.0).seed(seed).maxTokens(maxTokens).constraint(spec).build());
    }

    @Test
    void everySampledDocumentValidatesAgainstItsSchema() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, String> e : Schemas.all().entrySet()) {
            ConstraintSpec spec = ConstraintSpec.jsonSchema(e.getValue());
            for (int seed = 0; seed < RUNS; seed++) {
                GenerationResult r = generate(spec, seed);
                if (r.finishReason() != FinishReason.STOP) failures.add(e.getKey() + " seed " + seed + ": finished " + r.finishReason() + ": " + r.text());
                List<String> errors;
                try {
                    errors = Schemas.validate(e.getValue(), r.text());
                } catch (Exception parse) {
                    errors = List.of("does not parse: " + parse.getMessage());
                }
                if (!errors.isEmpty()) failures.add(e.getKey() + " seed " + seed + ": " + errors + " in " + r.text());
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void enumsAndConstsProduceOnlyAllowedValues() throws Exception {
        ConstraintSpec spec = ConstraintSpec.jsonSchema(Schemas.all().get("enums"));
        Set<String> colors = new java.util.HashSet<>();
        for (int seed = 0; seed < RUNS; seed++) {
            JsonNode doc = Schemas.parse(generate(spec, seed).text());
            assertThat(doc.get("color").asText()).isIn("red", "green", "blue");
            assertThat(doc.get("kind").asText()).isEqualTo("fixed");
            assertThat(doc.get("size").toString()).isIn("1", "2.5", "null", "true", "\"x\\\"y\"");
            colors.add(doc.get("color").asText());
        }
        assertThat(colors).as("sampling explores the choices").hasSizeGreaterThan(1);
    }

    @Test
    void guidedChoiceRegexAndGrammarOutputsMatch() {
        List<String> choices = List.of("yes", "no", "maybe later", "Once upon a time");
        Pattern phone = Pattern.compile("\\(\\d{3}\\) \\d{3}-\\d{4}");
        Pattern arithmetic = Pattern.compile("[0-9]+( [-+*] [0-9]+)*");
        String gbnf = """
                # simple arithmetic
                root ::= expr
                expr ::= num (" " op " " num)*
                op   ::= [-+*]
                num  ::= [0-9]{1,3}
                """;
        for (int seed = 0; seed < RUNS; seed++) {
            GenerationResult c = generate(ConstraintSpec.choice(choices), seed);
            assertThat(c.text()).isIn(choices);
            assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
            GenerationResult re = generate(ConstraintSpec.regex("\\(\\d{3}\\) \\d{3}-\\d{4}"), seed);
            assertThat(re.text()).matches(phone);
            GenerationResult g = generate(ConstraintSpec.gbnf(gbnf), seed, 40);
            assertThat(g.text()).matches(arithmetic);
            assertThat(g.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void aTightBudgetStillEndsInACompleteDocument() throws Exception {
        String schema = Schemas.all().get("person");
        for (int seed = 0; seed < 20; seed++) {
            GenerationResult r = generate(ConstraintSpec.jsonSchema(schema), seed, 30);
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.tokenIds().length).isLessThanOrEqualTo(30);
            assertThat(Schemas.validate(schema, r.text())).as(r.text()).isEmpty();
        }
    }
}
