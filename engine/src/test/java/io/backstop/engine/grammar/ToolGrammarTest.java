package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.grammar.ir.Expr;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The grammar pieces of tool calling: JSON documents framed by literal text (repeated, separated),
 * alternatives of whole specs, and a constraint that starts only at a trigger.
 */
class ToolGrammarTest {
    static final String CALL = """
            {"type":"object","properties":{"name":{"const":"get_weather"},"arguments":{"type":"object",
             "properties":{"city":{"type":"string","maxLength":12}},"required":["city"],"additionalProperties":false}},
             "required":["name","arguments"],"additionalProperties":false}""";
    static final ConstraintSpec.JsonSchema ITEM = (ConstraintSpec.JsonSchema) ConstraintSpec.jsonSchema(CALL);
    static final ConstraintSpec.Framed HERMES = new ConstraintSpec.Framed("<tool_call>\n", ITEM, "\n</tool_call>\n<tool_call>\n", "\n</tool_call>",
            1, Expr.Repeat.UNBOUNDED);
    static final TestVocab VOCAB = TestVocab.of("<tool_call>", "</tool_call>", "{\"name\": \"get_weather\"", "Hello");

    static GrammarMatcher matcher(ConstraintSpec spec) {
        return new GrammarCache(VOCAB).matcher(spec, Set.of(VOCAB.eos()));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void framedDocumentsRepeatWithTheirSeparatorAndCloseWithTheirSuffix() {
        String one = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        String two = one + "\n" + one.replace("Paris", "Rome");
        assertThat(matcher(HERMES).check(utf8(one))).isEqualTo(1);
        assertThat(matcher(HERMES).check(utf8(two))).isEqualTo(1);
        assertThat(matcher(HERMES).check(utf8(one.substring(0, 30)))).isZero();
        assertThat(matcher(HERMES).check(utf8(one.replace("get_weather", "get_time")))).isEqualTo(-1);
        assertThat(matcher(HERMES).check(utf8(one + "\n"))).as("a separator must be followed by another call").isZero();
        ConstraintSpec single = new ConstraintSpec.Framed("[", ITEM, ", ", "]", 1, 1);
        assertThat(matcher(single).check(utf8("[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"x\"}}]"))).isEqualTo(1);
        assertThat(matcher(single).check(utf8("[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"x\"}}, "))).isEqualTo(-1);
    }

    @Test
    void framedMasksMatchBruteForceAlongRandomWalks() {
        Random r = new Random(7);
        for (int walk = 0; walk < 20; walk++) {
            GrammarMatcher m = matcher(HERMES);
            assertThat(BruteForce.compareAlongRandomWalk(m, VOCAB, Set.of(VOCAB.eos()), 120, r)).isPositive();
        }
    }

    @Test
    void anyOfAcceptsEachAlternativeWhateverTheirRuleNames() {
        ConstraintSpec spec = new ConstraintSpec.AnyOf(List.of(HERMES, ConstraintSpec.jsonSchema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}")));
        assertThat(matcher(spec).check(utf8("{\"a\": 12}"))).isEqualTo(1);
        assertThat(matcher(spec).check(utf8("<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"a\"}}\n</tool_call>"))).isEqualTo(1);
        assertThat(matcher(spec).check(utf8("Hello"))).isEqualTo(-1);
    }

    /** The test vocabulary plus one special token, as a model's {@code <|python_tag|>}. */
    static final class WithMarker implements Vocabulary {
        final int marker = VOCAB.size();

        public int size() { return VOCAB.size() + 1; }
        public byte[] bytes(int t) { return t == marker ? new byte[0] : VOCAB.bytes(t); }
        public String piece(int t) { return t == marker ? "<|python_tag|>" : VOCAB.piece(t); }
        public boolean isSpecial(int t) { return t == marker || VOCAB.isSpecial(t); }
        public int maxTokenBytes() { return VOCAB.maxTokenBytes(); }
        public boolean stripsLeadingSpace() { return false; }
    }

    static int token(Vocabulary v, String piece) {
        for (int t = 0; t < v.size(); t++) if (v.piece(t).equals(piece) && !v.isSpecial(t)) return t;
        throw new AssertionError("no token " + piece);
    }

    static void feed(TriggeredConstraint c, Vocabulary v, String text) {
        for (byte b : utf8(text)) c.accept(b & 0xFF); // single-byte tokens are ids 0..255
    }

    static TriggeredConstraint triggered(Vocabulary v, ConstraintSpec body, ConstraintSpec.Trigger... triggers) {
        GrammarCache cache = new GrammarCache(v);
        return new TriggeredConstraint(v, List.of(triggers), () -> cache.matcher(body, Set.of(VOCAB.eos())));
    }

    @Test
    void outputIsFreeUntilTheTriggerThenHeldToTheBody() {
        TriggeredConstraint c = triggered(VOCAB, HERMES, new ConstraintSpec.Trigger("<tool_call>", true, false));
        feed(c, VOCAB, "Let me look that up. <tool");
        assertThat(c.isFree()).isTrue();
        assertThat(c.isComplete()).as("free text is not a finished tool call").isFalse();
        feed(c, VOCAB, "_call>");
        assertThat(c.isFree()).isFalse();
        long[] mask = new long[(VOCAB.size() + 63) >>> 6];
        c.fillMask(mask);
        assertThat(allowed(mask)).containsExactly((int) '\n');
        feed(c, VOCAB, "\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>");
        assertThat(c.isComplete()).isTrue();
        assertThat(c.isDone()).as("another call may follow").isFalse();
    }

    @Test
    void aTokenThatCompletesTheTriggerFeedsItsRestToTheBody() {
        TriggeredConstraint c = triggered(VOCAB, HERMES, new ConstraintSpec.Trigger("<tool_call>\n{", true, false));
        c.accept(token(VOCAB, "<tool_call>"));
        assertThat(c.isFree()).isTrue();
        c.accept('\n');
        c.accept(token(VOCAB, "{\"name\": \"get_weather\"")); // completes the trigger; its rest goes to the body
        assertThat(c.triggered()).isTrue();
        assertThat(c.fits(':', 100)).isFalse(); // the body already has `{"name": "get_weather"`: a comma comes next
        assertThat(c.fits(',', 100)).isTrue();
    }

    @Test
    void aTriggerEndingInsideATokenWhoseRestTheBodyRejectsLeavesTheOutputFree() {
        TriggeredConstraint inside = triggered(VOCAB, HERMES, new ConstraintSpec.Trigger("<tool_c", true, false));
        inside.accept(token(VOCAB, "<tool_call>")); // the trigger ends inside the token; its rest "all>" suits the body
        assertThat(inside.triggered()).isTrue();
        TriggeredConstraint rejected = triggered(VOCAB, ConstraintSpec.regex("<tool_c\\[.*"), new ConstraintSpec.Trigger("<tool_c", true, false));
        rejected.accept(token(VOCAB, "<tool_call>")); // its rest "all>" does not: the output stays free, for good
        assertThat(rejected.triggered()).isFalse();
        assertThat(rejected.isFree()).isTrue();
        feed(rejected, VOCAB, " <tool_c[");
        assertThat(rejected.triggered()).isFalse();
    }

    @Test
    void aSpecialTokenMarkerStartsTheBodyWithoutBeingPartOfIt() {
        WithMarker v = new WithMarker();
        TriggeredConstraint c = triggered(v, ConstraintSpec.jsonSchema(CALL), new ConstraintSpec.Trigger("<|python_tag|>", false, false));
        feed(c, v, "Sure. ");
        c.accept(v.marker);
        assertThat(c.triggered()).isTrue();
        assertThat(c.fits('{', 100)).isTrue();
        assertThat(c.fits('S', 100)).isFalse();
    }

    @Test
    void anAtStartTriggerCountsOnlyBeforeAnyText() {
        ConstraintSpec.Trigger brace = new ConstraintSpec.Trigger("{", true, true);
        TriggeredConstraint late = triggered(VOCAB, ConstraintSpec.jsonSchema(CALL), brace);
        feed(late, VOCAB, "Hello {");
        assertThat(late.triggered()).isFalse();
        TriggeredConstraint early = triggered(VOCAB, ConstraintSpec.jsonSchema(CALL), brace);
        feed(early, VOCAB, " \n{");
        assertThat(early.triggered()).isTrue();
        assertThat(early.fits('"', 100)).isTrue();
    }

    private static List<Integer> allowed(long[] mask) {
        List<Integer> out = new ArrayList<>();
        for (int t = 0; t < mask.length * 64; t++) if ((mask[t >>> 6] & (1L << t)) != 0) out.add(t);
        return out;
    }

    /** On a real model: free text until the trigger appears in the greedy output, then the body's grammar to the end. */
    @Test
    void aRealGenerationIsFreeUntilItsTriggerThenFollowsTheBody() {
        Model m = TestModels.stories();
        String free = m.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(40).build()).text();
        int at = free.indexOf(" was");
        assertThat(at).as(free).isPositive();
        ConstraintSpec spec = new ConstraintSpec.Triggered(ConstraintSpec.regex(" was (red|blue)\\."),
                List.of(new ConstraintSpec.Trigger(" was", true, false)));
        GenerationResult r = m.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(40).constraint(spec).build());
        assertThat(r.text()).startsWith(free.substring(0, at)).matches("(?s).* was (red|blue)\\.");
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        GenerationResult never = m.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(40)
                .constraint(new ConstraintSpec.Triggered(ConstraintSpec.regex("x"), List.of(new ConstraintSpec.Trigger("@@", true, false)))).build());
        assertThat(never.text()).isEqualTo(free);
        assertThat(never.finishReason()).as("free text that runs out of tokens").isEqualTo(FinishReason.LENGTH);
    }

    /**
     * A model that would write whitespace forever still closes its call within max_tokens; a budget too
     * short for the shortest call ends on a prefix of one, having written towards its end.
     */
    @Test
    void framedCallsCompleteWithinTheBudgetEvenWhenTheModelLovesNewlines() {
        Model m = TestModels.stories();
        int[] nl = m.tokenize("\n", false);
        for (int budget : new int[] {60, 80, 120}) {
            GenerationResult r = m.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(budget)
                    .logitBias(nl[nl.length - 1], 8).constraint(HERMES).build());
            assertThat(r.finishReason()).as(budget + ": " + r.text()).isEqualTo(FinishReason.STOP);
            assertThat(matcher(HERMES).check(utf8(r.text()))).as(r.text()).isEqualTo(1);
        }
        GenerationResult cut = m.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(12)
                .logitBias(nl[nl.length - 1], 8).constraint(HERMES).build());
        assertThat(cut.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(matcher(HERMES).check(utf8(cut.text()))).as(cut.text()).isZero();
        assertThat(cut.text()).doesNotContain("\n\n");
    }
}
