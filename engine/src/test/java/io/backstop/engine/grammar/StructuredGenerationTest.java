package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.Engine;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationHandle;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.GgufFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Constrained decoding on the real stories260K model (which knows nothing of JSON: its logits are noise
 * for this task): 100 seeded, sampled generations per schema, every one a complete document that
 * parses and validates, finished within max_tokens. The 100-run checks use the native GGUF engine (the
 * batching scheduler, where sequences join and leave mid-step); {@link #theJlamaBackendIsConstrainedToo}
 * repeats a smaller sample on the Jlama backend, whose forward pass is ~10x slower per token.
 */
class StructuredGenerationTest {
    static final int RUNS = 100;
    static final int JLAMA_RUNS = 12;
    static final int MAX_TOKENS = 200;
    static final String PROMPT = "Once upon a time";
    private static Model nativeStories;

    /** stories260K as F32 GGUF on the native engine, four sequences in flight (batched). */
    static synchronized Model nativeStories() {
        if (nativeStories == null) {
            nativeStories = Engine.load(GgufFixtures.stories("stories260K-f32.gguf"), LoadOptions.defaults().withConcurrency(4, 4));
        }
        return nativeStories;
    }

    @AfterAll
    static void close() {
        if (nativeStories != null) nativeStories.close();
    }

    static List<GenerationResult> generateAll(ConstraintSpec spec, int runs, int maxTokens) {
        return generateAll(nativeStories(), spec, runs, maxTokens);
    }

    /** Seeds 0..runs-1, a few generations in flight at once (the models serve 4). */
    static List<GenerationResult> generateAll(Model m, ConstraintSpec spec, int runs, int maxTokens) {
        List<GenerationResult> out = new ArrayList<>();
        for (int first = 0; first < runs; first += 4) {
            List<GenerationHandle> batch = new ArrayList<>();
            for (int seed = first; seed < Math.min(runs, first + 4); seed++) {
                batch.add(m.submit(GenerationRequest.text(PROMPT).temperature(1.0).seed((long) seed).maxTokens(maxTokens).constraint(spec).build(), null));
            }
            for (GenerationHandle h : batch) out.add(h.await());
        }
        return out;
    }

    static Stream<String> schemaNames() {
        return Schemas.all().keySet().stream();
    }

    @ParameterizedTest
    @MethodSource("schemaNames")
    void everySampledDocumentValidatesAgainstItsSchema(String name) {
        assertEveryDocumentValidates(nativeStories(), name, RUNS);
    }

    @ParameterizedTest
    @MethodSource("schemaNames")
    void theJlamaBackendIsConstrainedToo(String name) {
        assertEveryDocumentValidates(TestModels.stories(), name, JLAMA_RUNS);
    }

    private static void assertEveryDocumentValidates(Model m, String name, int runs) {
        String schema = Schemas.all().get(name);
        List<GenerationResult> results = generateAll(m, ConstraintSpec.jsonSchema(schema), runs, MAX_TOKENS);
        List<String> failures = new ArrayList<>();
        for (int seed = 0; seed < results.size(); seed++) {
            GenerationResult r = results.get(seed);
            if (r.finishReason() != FinishReason.STOP) failures.add("seed " + seed + ": finished " + r.finishReason() + ": " + r.text());
            List<String> errors;
            try {
                errors = Schemas.validate(schema, r.text());
            } catch (Exception parse) {
                errors = List.of("does not parse: " + parse.getMessage());
            }
            if (!errors.isEmpty()) failures.add("seed " + seed + ": " + errors + " in " + r.text());
        }
        assertThat(results).hasSize(runs);
        assertThat(failures).isEmpty();
    }

    @Test
    void enumsAndConstsProduceOnlyAllowedValues() throws Exception {
        ConstraintSpec spec = ConstraintSpec.jsonSchema(Schemas.all().get("enums"));
        Set<String> colors = new java.util.HashSet<>();
        for (GenerationResult r : generateAll(spec, RUNS, MAX_TOKENS)) {
            JsonNode doc = Schemas.parse(r.text());
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
        Set<String> chosen = new java.util.HashSet<>();
        for (GenerationResult c : generateAll(ConstraintSpec.choice(choices), RUNS, MAX_TOKENS)) {
            assertThat(c.text()).isIn(choices);
            assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
            chosen.add(c.text());
        }
        assertThat(chosen).hasSizeGreaterThan(1);
        for (GenerationResult re : generateAll(ConstraintSpec.regex("\\(\\d{3}\\) \\d{3}-\\d{4}"), RUNS, MAX_TOKENS)) {
            assertThat(re.text()).matches(phone);
            assertThat(re.finishReason()).isEqualTo(FinishReason.STOP);
        }
        for (GenerationResult g : generateAll(ConstraintSpec.gbnf(gbnf), RUNS, 40)) {
            assertThat(g.text()).matches(arithmetic);
            assertThat(g.finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void aTightBudgetStillEndsInACompleteDocument() throws Exception {
        String schema = Schemas.all().get("person");
        for (GenerationResult r : generateAll(ConstraintSpec.jsonSchema(schema), 20, 30)) {
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(r.tokenIds().length).isLessThanOrEqualTo(30);
            assertThat(Schemas.validate(schema, r.text())).as(r.text()).isEmpty();
        }
    }
}
