package io.backstop.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** [DONE] is the last thing a stream carries: a late event (a choice still delivering) is refused, not appended. */
class SseWriterTest {
    @Test
    void anEventAfterDoneThrowsAndTheStreamStillEndsWithDone() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SseWriter sse = new SseWriter(out);
        sse.event(JsonNodeFactory.instance.objectNode().put("n", 1));
        sse.done();

        assertThatThrownBy(() -> sse.event(JsonNodeFactory.instance.objectNode().put("n", 2)))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("[DONE]");
        assertThatThrownBy(() -> sse.data("{\"n\":3}")).isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(sse::done).isInstanceOf(UncheckedIOException.class);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("data: {\"n\":1}\n\ndata: [DONE]\n\n");
    }
}
