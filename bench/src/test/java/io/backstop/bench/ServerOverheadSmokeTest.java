package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.server.ServerOverhead;
import io.backstop.server.config.ModelConfig;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.ServerConfig;
import io.backstop.server.http.BackstopServer;
import io.backstop.server.route.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Smoke run of the server-overhead benchmark: both paths stream the same number of content chunks. */
class ServerOverheadSmokeTest {
    @Test
    void directAndHttpPathsBothStreamEveryToken() throws Exception {
        Path stories = Path.of(System.getProperty("backstop.shared", "../shared"), "models/stories260K/hf");
        ModelConfig mc = new ModelConfig("bench", stories, null, "raw", 1, 4, true, RequestDefaults.none());
        ServerConfig config = new ServerConfig("127.0.0.1", 0, List.of(), 1 << 20, 0, 600, List.of(mc));
        ModelRegistry registry = new ModelRegistry(config.models(), 0);
        try (BackstopServer server = new BackstopServer(config, registry).start()) {
            registry.loadAll();
            ServerOverhead.Result r = new ServerOverhead(registry.get("bench"), "http://127.0.0.1:" + server.port()).run("Once upon a time", 16, 0, 2);
            assertThat(r.direct()).hasSize(2);
            for (int i = 0; i < 2; i++) {
                assertThat(r.direct().get(i).chunks()).isEqualTo(16);
                assertThat(r.http().get(i).chunks()).isEqualTo(16);
                assertThat(r.http().get(i).ttftMillis()).isPositive();
                assertThat(r.http().get(i).decodeTokensPerSecond()).isPositive();
            }
        } finally {
            registry.close();
        }
    }
}
