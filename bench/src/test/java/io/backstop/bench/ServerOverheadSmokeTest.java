package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.server.LocalServer;
import io.backstop.bench.server.ServerOverhead;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Smoke run of the server-overhead benchmark: both paths stream the same number of content chunks. */
class ServerOverheadSmokeTest {
    @Test
    void directAndHttpPathsBothStreamEveryToken() throws Exception {
        Path stories = Path.of(System.getProperty("backstop.shared", "../shared"), "models/stories260K/hf");
        try (LocalServer server = LocalServer.start(stories, 1, 4)) {
            ServerOverhead.Result r = new ServerOverhead(server.model(), server.baseUrl()).run("Once upon a time", 16, 0, 2);
            assertThat(r.direct()).hasSize(2);
            for (int i = 0; i < 2; i++) {
                assertThat(r.direct().get(i).chunks()).isEqualTo(16);
                assertThat(r.http().get(i).chunks()).isEqualTo(16);
                assertThat(r.http().get(i).ttftMillis()).isPositive();
                assertThat(r.http().get(i).decodeTokensPerSecond()).isPositive();
            }
        }
    }
}
