package io.backstop.server.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.core.ObjectMappers;
import com.openai.models.completions.Completion;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Timings;
import io.backstop.engine.Usage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Why a generation ended early reaches the client as "finish_detail" beside finish_reason, which OpenAI's SDK keeps. */
class FinishDetailTest {
    private static final String SPENT = "the KV cache budget is spent (4 blocks); kv_cache_mb bounds it";
    private static final ResponseFormat.Meta META = new ResponseFormat.Meta("cmpl-1", 1, "m", CompletionRunner.FINGERPRINT);

    private static GenerationResult result(FinishReason finish, String detail) {
        return new GenerationResult("text", new int[] {5}, finish, new Usage(3, 1), new Timings(0, 0, 0, 3, 0, 0), List.of(), new int[] {1, 2, 3}, List.of(), detail);
    }

    @Test
    void aWholeAnswerCarriesTheDetailOnTheChoiceThatEndedEarlyAndTheSdkKeepsIt() throws Exception {
        TextFormat format = new TextFormat(false, null, 1, ids -> List.of(), false);
        List<GenerationResult> results = List.of(result(FinishReason.LENGTH, SPENT), result(FinishReason.STOP, null));
        ObjectNode body = format.response(META, results, new Usage(6, 2));
        FinishReasons.choiceDetails(body, results);

        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(body.at("/choices/0/finish_detail").asText()).isEqualTo(SPENT);
        assertThat(body.at("/choices/1").has(FinishReasons.DETAIL)).isFalse();
        Completion parsed = ObjectMappers.jsonMapper().readValue(Json.write(body), Completion.class);
        parsed.validate();
        assertThat(parsed.choices().get(0)._additionalProperties().get(FinishReasons.DETAIL).convert(String.class)).isEqualTo(SPENT);
    }

    @Test
    void aStreamsLastChunkCarriesTheDetailAndOthersDoNot() {
        TextFormat format = new TextFormat(false, null, 1, ids -> List.of(), false);
        ObjectNode last = FinishReasons.chunkDetail(format.chunk(META, 0, "", List.of(), "length"), SPENT);
        assertThat(last.at("/choices/0/finish_detail").asText()).isEqualTo(SPENT);
        ObjectNode plain = FinishReasons.chunkDetail(format.chunk(META, 0, "", List.of(), "stop"), null);
        assertThat(plain.at("/choices/0").has(FinishReasons.DETAIL)).isFalse();
    }
}
