package io.backstop.engine.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ollama:NAME[:TAG] read from a store laid out as Ollama lays it out, built here from a tiny-gguf file. */
class OllamaStoreTest {
    @TempDir
    Path tmp;
    Path root;
    Path blob;
    String digest;

    @BeforeEach
    void buildStore() throws IOException {
        root = tmp.resolve("ollama/models");
        Path gguf = GgufFetchTest.tinyGguf("tiny-llama-Q8_0.gguf");
        digest = FakeHub.sha256(gguf);
        blob = Files.createDirectories(root.resolve("blobs")).resolve("sha256-" + digest);
        Files.copy(gguf, blob);
        Path template = root.resolve("blobs/sha256-" + "1".repeat(64));
        Files.writeString(template, "{{ .Prompt }}");
        String manifest = manifest(digest, Files.size(gguf));
        for (String m : List.of("registry.ollama.ai/library/tiny/latest", "registry.ollama.ai/library/tiny/q8",
                "registry.ollama.ai/someone/tiny-chat/v1", "hf.co/owner/Tiny-GGUF/Q8_0")) {
            Files.writeString(Files.createDirectories(root.resolve("manifests").resolve(m).getParent()).resolve(Path.of(m).getFileName()), manifest);
        }
    }

    private static String manifest(String modelDigest, long size) {
        return """
                {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
                 "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:%s","size":10},
                 "layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":%d},
                           {"mediaType":"application/vnd.ollama.image.template","digest":"sha256:%s","size":13}]}
                """.formatted("2".repeat(64), modelDigest, size, "1".repeat(64));
    }

    private OllamaStore store() {
        return OllamaStore.fromEnvironment(Map.of("OLLAMA_MODELS", root.toString()));
    }

    @Test
    void aPulledModelIsItsGgufBlobReadInPlace() throws IOException {
        List<String> before = snapshot();
        assertThat(store().resolve("ollama:tiny")).isEqualTo(blob);
        assertThat(store().resolve("tiny:latest")).isEqualTo(blob);
        assertThat(store().resolve("ollama:tiny:q8")).isEqualTo(blob);
        assertThat(store().resolve("ollama:someone/tiny-chat:v1")).isEqualTo(blob);
        assertThat(store().resolve("ollama:hf.co/owner/Tiny-GGUF:Q8_0")).isEqualTo(blob);
        assertThat(ModelSources.resolve("ollama:tiny:q8", Map.of("OLLAMA_MODELS", root.toString()), null)).isEqualTo(blob);
        assertThat(ModelSources.displayName("ollama:tiny:q8")).isEqualTo("tiny:q8");
        assertThat(snapshot()).as("the store is read, never written").isEqualTo(before);
    }

    @Test
    void aMissingTagListsTheLocalTagsAndAMissingModelTheLocalModels() {
        assertThatThrownBy(() -> store().resolve("ollama:tiny:7b")).isInstanceOf(ModelFetchException.class)
                .hasMessage("ollama:tiny:7b is not pulled; local tags of tiny: latest, q8");
        assertThatThrownBy(() -> store().resolve("ollama:llama3.2"))
                .hasMessage("ollama:llama3.2 is not pulled; local models: hf.co/owner/Tiny-GGUF:Q8_0, someone/tiny-chat:v1, tiny:latest, tiny:q8"
                        + " (pull it with `ollama pull llama3.2`)");
    }

    @Test
    void aMissingStoreNamesOllamaModels() {
        assertThatThrownBy(() -> OllamaStore.fromEnvironment(Map.of("OLLAMA_MODELS", tmp.resolve("none").toString())).resolve("tiny"))
                .hasMessage("no Ollama model store at " + tmp.resolve("none") + " (set OLLAMA_MODELS to the folder holding manifests/ and blobs/)");
        assertThat(OllamaStore.fromEnvironment(Map.of())).extracting(OllamaStore::root)
                .isEqualTo(Path.of(System.getProperty("user.home"), ".ollama", "models"));
    }

    @Test
    void damagedStoresAreReportedNotLoaded() throws IOException {
        Path manifest = root.resolve("manifests/registry.ollama.ai/library/tiny/latest");
        Files.writeString(manifest, manifest(digest, 12));
        assertThatThrownBy(() -> store().resolve("tiny")).hasMessageContaining("bytes, its manifest says 12; pull the model again with `ollama pull tiny`");
        Files.writeString(manifest, manifest("3".repeat(64), 12));
        assertThatThrownBy(() -> store().resolve("tiny")).hasMessageContaining("(sha256-" + "3".repeat(64) + ") are missing from");
        Files.writeString(manifest, manifest("1".repeat(64), 13)); // the template blob: not a GGUF file
        assertThatThrownBy(() -> store().resolve("tiny")).hasMessageEndingWith("are not a GGUF file");
        Files.writeString(manifest, "{\"layers\":[]}");
        assertThatThrownBy(() -> store().resolve("tiny")).hasMessageContaining("has 0 layers of type application/vnd.ollama.image.model");
        Files.writeString(manifest, "not json");
        assertThatThrownBy(() -> store().resolve("tiny")).hasMessageStartingWith("cannot read the Ollama manifest");
        assertThatThrownBy(() -> store().resolve("../../etc/passwd")).hasMessageContaining("is not an Ollama model name");
    }

    private List<String> snapshot() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.map(p -> {
                try {
                    return root.relativize(p) + " " + (Files.isRegularFile(p) ? Files.size(p) + " " + Files.getLastModifiedTime(p) : "dir");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList();
        }
    }
}
