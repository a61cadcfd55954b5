package io.backstop.engine.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One GGUF file of a repo, chosen by quantization tag or by name, downloaded with resume and checksum. */
class GgufFetchTest {
    static final String REPO = "tiny/tiny-llama-GGUF";

    @TempDir
    Path tmp;
    FakeHub hub;
    Path repoDir;

    static Path tinyGguf(String file) {
        return Path.of(System.getProperty("backstop.shared", "../../shared"), "models", "tiny-gguf", file).toAbsolutePath();
    }

    @BeforeEach
    void startHub() throws IOException {
        repoDir = Files.createDirectories(tmp.resolve("repo"));
        for (String f : List.of("tiny-llama-Q4_K_M.gguf", "tiny-llama-Q8_0.gguf", "tiny-llama-F16.gguf")) {
            Files.createSymbolicLink(repoDir.resolve(f), tinyGguf(f));
        }
        Files.createSymbolicLink(Files.createDirectories(repoDir.resolve("more")).resolve("tiny-llama-Q6_K.gguf"), tinyGguf("tiny-llama-Q6_K.gguf"));
        Files.writeString(repoDir.resolve("mmproj-tiny-F16.gguf"), "GGUF projector");
        Files.writeString(repoDir.resolve("big-Q5_K_M-00001-of-00002.gguf"), "GGUF part 1");
        Files.writeString(repoDir.resolve("big-Q5_K_M-00002-of-00002.gguf"), "GGUF part 2");
        Files.writeString(repoDir.resolve("README.md"), "# tiny");
        hub = new FakeHub(ModelFetcherTest.sharedModel()).addRepo(REPO, repoDir);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private Path fetch(String source, String file, ProgressListener progress) {
        return new ModelFetcher(hub.endpoint(), null).fetch(source, tmp.resolve("models/tiny-llama-GGUF"), null, file, progress);
    }

    @Test
    void aQuantizationTagChoosesOneFileCaseInsensitively() throws IOException {
        Recorder progress = new Recorder();
        Path file = fetch(REPO + ":Q4_K_M", null, progress);
        assertThat(file).isEqualTo(tmp.resolve("models/tiny-llama-GGUF/tiny-llama-Q4_K_M.gguf").toAbsolutePath());
        assertThat(Files.mismatch(file, tinyGguf("tiny-llama-Q4_K_M.gguf"))).isEqualTo(-1L);
        assertThat(progress.events).containsExactly("started tiny-llama-Q4_K_M.gguf", "finished tiny-llama-Q4_K_M.gguf");
        assertThat(fetch(REPO + ":q8_0", null, null).getFileName().toString()).isEqualTo("tiny-llama-Q8_0.gguf");
        assertThat(fetch(REPO + ":F16", null, null).getFileName().toString()).as("a projector is never the model").isEqualTo("tiny-llama-F16.gguf");
        assertThat(tmp.resolve("models/tiny-llama-GGUF")).isDirectoryNotContaining("glob:**.part");
    }

    @Test
    void aTagThatMatchesNoFileOrSeveralIsRefusedListingTheFiles() {
        assertThatThrownBy(() -> fetch(REPO + ":Q4_K", null, null)).isInstanceOf(ModelFetchException.class)
                .hasMessage("no GGUF file of '" + REPO + "' matches the tag 'Q4_K'; its GGUF files: big-Q5_K_M-00001-of-00002.gguf, "
                        + "big-Q5_K_M-00002-of-00002.gguf, more/tiny-llama-Q6_K.gguf, tiny-llama-F16.gguf, tiny-llama-Q4_K_M.gguf, tiny-llama-Q8_0.gguf");
        assertThatThrownBy(() -> fetch(REPO + ":llama", null, null))
                .hasMessageStartingWith("the tag 'llama' matches several GGUF files of '" + REPO + "': more/tiny-llama-Q6_K.gguf, tiny-llama-F16.gguf")
                .hasMessageEndingWith("; give a longer tag or name one with --file");
        assertThat(hub.requests("cdn", "GET")).isEmpty();
    }

    @Test
    void aSplitModelIsRefusedWithWhatToDo() {
        assertThatThrownBy(() -> fetch(REPO + ":Q5_K_M", null, null))
                .hasMessageStartingWith("'" + REPO + ":Q5_K_M' is split into 2 files (big-Q5_K_M-00001-of-00002.gguf, big-Q5_K_M-00002-of-00002.gguf)")
                .hasMessageContaining("llama-gguf-split --merge");
    }

    @Test
    void aFileCanBeNamedByPathOrByNameAndKeepsItsFolder() throws IOException {
        Path file = fetch(REPO, "tiny-llama-Q6_K.gguf", null);
        assertThat(file).isEqualTo(tmp.resolve("models/tiny-llama-GGUF/more/tiny-llama-Q6_K.gguf").toAbsolutePath());
        assertThat(Files.mismatch(file, tinyGguf("tiny-llama-Q6_K.gguf"))).isEqualTo(-1L);
        assertThat(fetch(REPO, "more/tiny-llama-Q6_K.gguf", null)).isEqualTo(file);
        assertThatThrownBy(() -> fetch(REPO, "nope.gguf", null)).hasMessageStartingWith("'" + REPO + "' has no file 'nope.gguf'; its GGUF files: big-");
        assertThatThrownBy(() -> fetch(REPO, "README.md", null)).hasMessage("--file must name a .gguf file, got 'README.md'");
        assertThatThrownBy(() -> fetch(REPO + ":Q8_0", "tiny-llama-Q8_0.gguf", null)).hasMessageContaining("not both");
    }

    @Test
    void anInterruptedDownloadResumesWhereItStopped() throws IOException {
        long size = Files.size(tinyGguf("tiny-llama-Q8_0.gguf"));
        hub.cutNextDownloadAfter(300_000);
        assertThatThrownBy(() -> fetch(REPO + ":Q8_0", null, null)).isInstanceOf(ModelFetchException.class)
                .hasMessageStartingWith("downloading 'tiny-llama-Q8_0.gguf' of '" + REPO + "' into ")
                .hasMessageEndingWith("run the same command again to resume");
        Path part = tmp.resolve("models/tiny-llama-GGUF/tiny-llama-Q8_0.gguf.part");
        // the hub cuts the connection after 300,000 bytes; what the client had received by then (all of
        // them, or less when the reset overtakes the last segments on a busy machine) is kept
        long kept = Files.size(part);
        assertThat(kept).isPositive().isLessThanOrEqualTo(300_000);
        assertThat(tmp.resolve("models/tiny-llama-GGUF/tiny-llama-Q8_0.gguf")).doesNotExist();

        hub.requests.clear();
        Recorder progress = new Recorder();
        Path file = fetch(REPO + ":Q8_0", null, progress);
        assertThat(Files.mismatch(file, tinyGguf("tiny-llama-Q8_0.gguf"))).isEqualTo(-1L);
        assertThat(hub.requests("cdn", "GET")).singleElement().satisfies(r -> assertThat(r.range()).isEqualTo("bytes=" + kept + "-"));
        assertThat(progress.events).containsExactly("resumed tiny-llama-Q8_0.gguf at " + kept + " of " + size, "finished tiny-llama-Q8_0.gguf");
        assertThat(part).doesNotExist();
    }

    @Test
    void withoutAChecksumAnInterruptedDownloadStartsOver() throws IOException {
        hub.announceNoSha("tiny-llama-Q8_0.gguf");
        hub.cutNextDownloadAfter(300_000);
        assertThatThrownBy(() -> fetch(REPO + ":Q8_0", null, null)).hasMessageEndingWith("run the same command again to resume");
        hub.requests.clear();
        Path file = fetch(REPO + ":Q8_0", null, null);
        assertThat(Files.mismatch(file, tinyGguf("tiny-llama-Q8_0.gguf"))).isEqualTo(-1L);
        assertThat(hub.requests("cdn", "GET")).singleElement().satisfies(r -> assertThat(r.range()).isNull());
    }

    @Test
    void aServerThatIgnoresRangeMakesTheDownloadStartOver() throws IOException {
        hub.cutNextDownloadAfter(100_000);
        assertThatThrownBy(() -> fetch(REPO + ":Q4_K_M", null, null)).isInstanceOf(ModelFetchException.class);
        hub.ignoreRange(true);
        Path file = fetch(REPO + ":Q4_K_M", null, null);
        assertThat(Files.mismatch(file, tinyGguf("tiny-llama-Q4_K_M.gguf"))).isEqualTo(-1L);
    }

    @Test
    void aFileWhoseChecksumDiffersFromTheHubsIsDeleted() {
        hub.announceWrongSha("tiny-llama-Q8_0.gguf");
        assertThatThrownBy(() -> fetch(REPO + ":Q8_0", null, null))
                .hasMessageStartingWith("'tiny-llama-Q8_0.gguf' of '" + REPO + "' is corrupt: its SHA-256 is ")
                .hasMessageEndingWith("the download was deleted, run the same command again");
        assertThat(tmp.resolve("models/tiny-llama-GGUF")).isEmptyDirectory();
    }

    @Test
    void aCompleteFileIsNotDownloadedAgain() {
        fetch(REPO + ":Q8_0", null, null);
        hub.requests.clear();
        Recorder progress = new Recorder();
        fetch(REPO + ":Q8_0", null, progress);
        assertThat(progress.events).containsExactly("skipped tiny-llama-Q8_0.gguf");
        assertThat(hub.requests("cdn", "GET")).isEmpty();
    }

    @Test
    void aRepoOfGgufFilesAskedForAsSafetensorsSaysHowToPickOne() {
        assertThatThrownBy(() -> fetch(REPO, null, null))
                .hasMessageContaining("no *.safetensors in '" + REPO + "'")
                .hasMessageContaining("take one with " + REPO + ":QUANT (e.g. :Q4_K_M) or --file NAME.gguf")
                .hasMessageContaining("tiny-llama-Q8_0.gguf");
    }

    @Test
    void modelSourcesDownloadATaggedModelOnceThenFindItOffline() throws IOException {
        Path models = tmp.resolve("models");
        Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint());
        Path file = ModelSources.resolve(REPO + ":Q4_K_M", models, env, null);
        assertThat(file).isEqualTo(models.resolve("tiny-llama-GGUF/tiny-llama-Q4_K_M.gguf").toAbsolutePath());
        assertThat(ModelSources.isDownloaded(REPO + ":Q4_K_M", models.resolve("tiny-llama-GGUF"))).isTrue();
        assertThat(ModelSources.isDownloaded(REPO + ":Q8_0", models.resolve("tiny-llama-GGUF"))).isFalse();

        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> offline = Map.of("HF_ENDPOINT", "http://127.0.0.1:" + closedPort);
        assertThat(ModelSources.resolve(REPO + ":q4_k_m", models, offline, null)).isEqualTo(models.resolve("tiny-llama-GGUF/tiny-llama-Q4_K_M.gguf"));
        assertThatThrownBy(() -> ModelSources.resolve(REPO + ":Q8_0", models, offline, null))
                .hasMessageStartingWith("cannot reach http://127.0.0.1:" + closedPort + " (connection refused); set HF_ENDPOINT");
        assertThat(ModelSources.displayName(REPO + ":Q8_0")).isEqualTo("tiny-llama-GGUF:Q8_0");
        assertThat(ModelSources.resolve(file.toString(), models, offline, null)).isEqualTo(file);
    }

    @Test
    void parsesTaggedSources() {
        assertThat(HubSource.parse("o/n:Q4_K_M")).isEqualTo(new HubSource(new RepoId("o", "n", "main"), "Q4_K_M"));
        assertThat(HubSource.parse("o/n@dev:Q8_0")).isEqualTo(new HubSource(new RepoId("o", "n", "dev"), "Q8_0"));
        assertThat(HubSource.parse("o/n").tag()).isNull();
        assertThat(HubSource.isTagged("o/n:Q4_0")).isTrue();
        assertThat(HubSource.isTagged("o/n")).isFalse();
        assertThat(HubSource.isTagged("ollama:llama3")).isFalse();
        assertThatThrownBy(() -> HubSource.parse("o/n:Q4 K")).hasMessageContaining("is not a quantization tag");
        assertThat(ModelFetcher.defaultDestination("o/Some-GGUF:Q4_K_M")).isEqualTo(Path.of("models", "Some-GGUF"));
    }

    /** Remembers transfer events in order. */
    static final class Recorder implements ProgressListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void fileStarted(String file, long totalBytes) {
            events.add("started " + file);
        }

        @Override
        public void fileResumed(String file, long doneBytes, long totalBytes) {
            events.add("resumed " + file + " at " + doneBytes + " of " + totalBytes);
        }

        @Override
        public void fileFinished(String file, long totalBytes, boolean skipped) {
            events.add((skipped ? "skipped " : "finished ") + file);
        }
    }
}
