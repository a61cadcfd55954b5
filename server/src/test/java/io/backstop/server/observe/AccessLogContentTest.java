package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.observe.ObserveConfig.AccessLogOptions;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** With {@code logging.log_content: true} the access log carries the prompt and the answer. */
class AccessLogContentTest extends ObservedServerFixture {
    @Override
    UnaryOperator<ObserveConfig> observe() {
        return o -> o.withAccessLog(new AccessLogOptions(o.accessLog().target(), true));
    }

    @Test
    void promptAndAnswerAreLoggedWhenAskedFor() throws Exception {
        assertThat(chat("smart", true).status()).isEqualTo(200);
        JsonNode line = accessLines(1).get(0);
        assertThat(line.get("prompt").asText()).isEqualTo("user: Lily went to the park");
        assertThat(line.get("answer").asText()).isEqualTo("Hello from the remote model");
    }
}
