package io.backstop.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.Model;
import io.backstop.engine.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A constraint on a real request: validation at submit, greedy decoding, raw log-probabilities, where it stops. */
class ConstraintRequestTest {
    static final Model MODEL = TestModels.stories();

    @Test
    void aBadSchemaIsRefusedAtSubmitNamingFieldAndKeyword() {
        GenerationRequest r = GenerationRequest.text("x").constraint(ConstraintSpec.jsonSchema("{\"type\":\"integer\",\"minimum\":1}")).build();
        assertThatThrownBy(() -> MODEL.submit(r, null))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("'minimum'")
                .satisfies(e -> assertThat(((InvalidRequestException) e).field()).isEqualTo("response_format.json_schema.schema"));
        GenerationRequest g = GenerationRequest.text("x").constraint(ConstraintSpec.gbnf("root ::= (")).build();
        assertThatThrownBy(() -> MODEL.submit(g, null)).isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(((InvalidRequestException) e).field()).isEqualTo("grammar"));
    }

    @Test
    void greedyDecodingGivesAValidObjectAndStopsWhenItIsComplete() throws Exception {
        GenerationResult r = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(300)
                .constraint(ConstraintSpec.jsonObject()).build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(Schemas.parse(r.text()).isObject()).as(r.text()).isTrue();
        GenerationResult again = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(300)
                .constraint(ConstraintSpec.jsonObject()).build());
        assertThat(again.tokenIds()).as("deterministic").containsExactly(r.tokenIds());
    }

    @Test
    void aFinishedChoiceEndsWithoutAnEndToken() {
        GenerationResult r = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(50)
                .constraint(ConstraintSpec.choice(List.of("The end"))).build());
        assertThat(r.text()).isEqualTo("The end");
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(MODEL.detokenize(r.tokenIds())).isEqualTo("The end"); // no EOS was needed
    }

    @Test
    void logprobsStayThoseOfTheRawDistribution() {
        GenerationResult free = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(1).logprobs(3).build());
        GenerationResult constrained = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(5).logprobs(3)
                .constraint(ConstraintSpec.jsonObject()).build());
        assertThat(constrained.text()).startsWith("{");
        var first = constrained.logprobs().getFirst();
        assertThat(first.tokenId()).isNotEqualTo(free.tokenIds()[0]); // the mask changed the choice...
        assertThat(first.top()).isEqualTo(free.logprobs().getFirst().top()); // ...not the reported distribution
    }

    @Test
    void stopTokenIdsAreHeldBackUntilTheDocumentIsComplete() {
        ConstraintSpec spec = ConstraintSpec.regex("[a-z ]{30,40}");
        int favourite = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(60).constraint(spec).build()).tokenIds()[0];
        GenerationResult r = MODEL.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(60)
                .stopTokenIds(java.util.Set.of(favourite)).constraint(spec).build());
        assertThat(r.tokenIds()[0]).isNotEqualTo(favourite);
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(r.text()).matches("[a-z ]{30,40}");
    }
}
