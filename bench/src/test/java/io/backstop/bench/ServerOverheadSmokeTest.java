package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.server.LocalServer;
import io.backstop.bench.server.ServerOverhead;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
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

    @Test
    void compareCallsAnOffAndAnAllServerOnOneModelAsOftenAsEachOther() throws Exception {
        Path stories = Path.of(System.getProperty("backstop.shared", "../shared"), "models/stories260K/hf");
        try (LocalServer server = LocalServer.start(stories, 1, 4, List.of(LocalServer.Observe.OFF, LocalServer.Observe.ALL))) {
            ServerOverhead.Result r = new ServerOverhead(server.model(), List.of(server.baseUrl(0), server.baseUrl(1))).run("Once upon a time", 16, 3, 0, 2);
            for (List<ServerOverhead.Sample> side : r.servers()) {
                assertThat(side).hasSize(2);
                assertThat(side).allSatisfy(x -> {
                    assertThat(x.chunks()).isEqualTo(16);
                    assertThat(x.totalMillis()).isGreaterThanOrEqualTo(x.ttftMillis());
                });
            }
            // the first server observes nothing; the second counted its 3 warm-up and 2 measured requests
            assertThat(get(server.baseUrl(0) + "/metrics").statusCode()).isEqualTo(404);
            String metrics = get(server.baseUrl(1) + "/metrics").body();
            assertThat(metrics).contains("backstop_requests_total{outcome=\"ok\",route=\"bench\",target=\"local:bench\"} 5.0");
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
