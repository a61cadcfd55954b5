package io.backstop.engine.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelFetcherTest {
    /** All files of the shared stories260K hf folder; Backstop needs every one of them. */
    static final List<String> MODEL_FILES = List.of("README.md", "config.json", "generation_config.json",
            "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json");
    static final String TOKEN = "hf_test_secret_123";

    @TempDir
    Path tmp;
    FakeHub hub;

    static Path sharedModel() {
        String shared = System.getProperty("backstop.shared", "../../shared");
        return Path.of(shared, "models", "stories260K", "hf");
    }

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub(sharedModel());
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    @Test
    void downloadsOnlyModelFilesByteIdentical() throws IOException {
        Recorder progress = new Recorder();
        Path dest = tmp.resolve("out");

        Path model = new ModelFetcher(hub.endpoint(), null).fetch(FakeHub.REPO, dest, null, progress);

        assertThat(model).isEqualTo(dest.toAbsolutePath().normalize());
        assertThat(listNames(dest)).containsExactlyElementsOf(MODEL_FILES); // no .gitattributes, onnx/, *.bin, *.part
        for (String file : MODEL_FILES) {
            assertThat(Files.mismatch(dest.resolve(file), sharedModel().resolve(file))).as(file).isEqualTo(-1L);
        }
        assertThat(progress.downloaded).containsExactlyInAnyOrderElementsOf(MODEL_FILES);
        assertThat(hub.requests("cdn", "GET")).hasSize(1); // the redirect was followed
    }

    @Test
    void sendsTokenToHubButNotToOtherHostsAndNotWithoutToken() {
        new ModelFetcher(hub.endpoint(), TOKEN).fetch(FakeHub.REPO, tmp.resolve("a"), null, null);
        List<FakeHub.Request> hubRequests = hub.requests.stream().filter(r -> r.server().equals("hub")).toList();
        List<FakeHub.Request> cdnRequests = hub.requests.stream().filter(r -> r.server().equals("cdn")).toList();
        assertThat(hubRequests).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN));
        assertThat(cdnRequests).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());

        hub.requests.clear();
        new ModelFetcher(Map.of("HF_ENDPOINT", hub.endpoint())).fetch(FakeHub.REPO, tmp.resolve("b"), null, null);
        assertThat(hub.requests).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
    }

    @Test
    void unauthorizedSaysToSetToken() {
        assertThatThrownBy(() -> new ModelFetcher(hub.endpoint(), null).fetch("gated/llama", tmp.resolve("g"), null, null))
                .isInstanceOf(ModelFetchException.class)
                .hasMessageStartingWith("401 from " + hub.endpoint())
                .hasMessageContaining("set HF_TOKEN for gated or private models");
        assertThatThrownBy(() -> new ModelFetcher(hub.endpoint(), TOKEN).fetch("gated/llama", tmp.resolve("g"), null, null))
                .hasMessageStartingWith("401 from " + hub.endpoint())
                .hasMessageNotContaining(TOKEN);
        assertThat(tmp.resolve("g")).doesNotExist();
    }

    @Test
    void unknownModelOrRevisionIs404() {
        ModelFetcher fetcher = new ModelFetcher(hub.endpoint(), null);
        assertThatThrownBy(() -> fetcher.fetch("nobody/nothing", tmp.resolve("n"), null, null))
                .isInstanceOf(ModelFetchException.class)
                .hasMessage("404: no model 'nobody/nothing' at revision main on " + hub.endpoint());
        assertThatThrownBy(() -> fetcher.fetch(FakeHub.REPO + "@v9", tmp.resolve("n"), null, null))
                .hasMessage("404: no model '" + FakeHub.REPO + "' at revision v9 on " + hub.endpoint());
        assertThatThrownBy(() -> fetcher.fetch(FakeHub.REPO, tmp.resolve("n"), "v9", null))
                .hasMessageContaining("at revision v9");
    }

    @Test
    void unreachableEndpointIsNamed() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + closedPort;
        assertThatThrownBy(() -> new ModelFetcher(endpoint, TOKEN).fetch(FakeHub.REPO, tmp.resolve("u"), null, null))
                .isInstanceOf(ModelFetchException.class)
                .hasMessageStartingWith("cannot reach " + endpoint + " (connection refused)")
                .hasMessageContaining("HF_ENDPOINT")
                .hasMessageNotContaining(TOKEN);
    }

    @Test
    void repoWithoutSafetensorsIsRejectedBeforeDownloading() {
        assertThatThrownBy(() -> new ModelFetcher(hub.endpoint(), null).fetch(FakeHub.NO_WEIGHTS_REPO, tmp.resolve("w"), null, null))
                .hasMessageStartingWith("no *.safetensors in '" + FakeHub.NO_WEIGHTS_REPO + "'");
        assertThat(tmp.resolve("w")).doesNotExist();
    }

    @Test
    void rerunSkipsCompleteFilesAndRedownloadsBrokenOnes() throws IOException {
        ModelFetcher fetcher = new ModelFetcher(hub.endpoint(), null);
        Path dest = tmp.resolve("r");
        fetcher.fetch(FakeHub.REPO, dest, null, null);

        hub.requests.clear();
        Recorder second = new Recorder();
        fetcher.fetch(FakeHub.REPO, dest, null, second);
        assertThat(second.skipped).containsExactlyInAnyOrderElementsOf(MODEL_FILES);
        assertThat(second.downloaded).isEmpty();
        assertThat(hub.requests("hub", "GET")).extracting(FakeHub.Request::path).allMatch(p -> p.startsWith("/api/"));
        assertThat(hub.requests("cdn", "GET")).isEmpty();

        Files.write(dest.resolve("tokenizer.json"), new byte[] {'{'}); // e.g. edited or truncated
        Recorder third = new Recorder();
        fetcher.fetch(FakeHub.REPO, dest, null, third);
        assertThat(third.downloaded).containsExactly("tokenizer.json");
        assertThat(Files.mismatch(dest.resolve("tokenizer.json"), sharedModel().resolve("tokenizer.json"))).isEqualTo(-1L);
    }

    @Test
    void copiesLocalDirectory() throws IOException {
        Path dest = tmp.resolve("copy");
        Recorder progress = new Recorder();
        Path model = new ModelFetcher(Map.of()).fetch(sharedModel().toString(), dest, null, progress);

        assertThat(model).isEqualTo(dest.toAbsolutePath().normalize());
        assertThat(listNames(dest)).containsExactlyElementsOf(MODEL_FILES);
        for (String file : MODEL_FILES) {
            assertThat(Files.mismatch(dest.resolve(file), sharedModel().resolve(file))).as(file).isEqualTo(-1L);
        }
        Recorder again = new Recorder();
        new ModelFetcher(Map.of()).fetch(sharedModel().toString(), dest, null, again);
        assertThat(again.skipped).hasSize(MODEL_FILES.size());

        Path noWeights = Files.createDirectories(tmp.resolve("empty-model"));
        Files.writeString(noWeights.resolve("config.json"), "{}");
        assertThatThrownBy(() -> new ModelFetcher(Map.of()).fetch(noWeights.toString(), tmp.resolve("x"), null, null))
                .isInstanceOf(ModelFetchException.class)
                .hasMessage("no *.safetensors in " + noWeights + " (Backstop needs safetensors weights)");
    }

    @Test
    void endpointAndDestinationDefaults() {
        assertThat(new ModelFetcher(Map.of()).endpoint()).isEqualTo("https://huggingface.co");
        assertThat(new ModelFetcher(Map.of("HF_ENDPOINT", "http://mirror.local:8080/hf/")).endpoint())
                .isEqualTo("http://mirror.local:8080/hf");
        assertThat(ModelFetcher.defaultDestination("owner/My-Model@dev")).isEqualTo(Path.of("models", "My-Model"));
        assertThat(ModelFetcher.defaultDestination(sharedModel().toString())).isEqualTo(Path.of("models", "stories260K"));
        assertThatThrownBy(() -> new ModelFetcher(Map.of("HF_ENDPOINT", "ftp://x"))).isInstanceOf(ModelFetchException.class);
    }

    @Test
    void parsesRepoIds() {
        assertThat(RepoId.parse("owner/name")).isEqualTo(new RepoId("owner", "name", "main"));
        assertThat(RepoId.parse("owner/name.v2@refs/pr/1")).isEqualTo(new RepoId("owner", "name.v2", "refs/pr/1"));
        for (String bad : List.of("name", "a/b/c", "/abs", "a/..", "")) {
            assertThatThrownBy(() -> RepoId.parse(bad)).as(bad)
                    .isInstanceOf(ModelFetchException.class)
                    .hasMessageContaining("neither a local model directory nor a Hugging Face repo id");
        }
    }

    @Test
    void selectsModelFiles() {
        assertThat(ModelFiles.select(List.of("consolidated.safetensors", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json", "LICENSE.txt", "original/tokenizer.model",
                "pytorch_model.bin", ".gitattributes")))
                .containsExactly("LICENSE.txt", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                        "model.safetensors.index.json");
        assertThat(ModelFiles.select(List.of("consolidated.safetensors"))).containsExactly("consolidated.safetensors");
    }

    private static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Remembers which files were transferred and which were skipped. */
    static final class Recorder implements ProgressListener {
        final List<String> downloaded = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();

        @Override
        public void fileFinished(String file, long totalBytes, boolean wasSkipped) {
            (wasSkipped ? skipped : downloaded).add(file);
        }
    }
}
