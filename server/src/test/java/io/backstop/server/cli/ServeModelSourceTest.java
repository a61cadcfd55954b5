package io.backstop.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.backend.gguf.file.GgufWriter;
import io.backstop.server.config.ConfigException;
import io.backstop.server.config.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What serve --model may name besides a directory: a GGUF file, ollama:NAME[:TAG]. */
class ServeModelSourceTest {
    @TempDir
    Path tmp;

    private ModelConfig resolve(Map<String, String> env, String... args) {
        ServeCommand serve = new ServeCommand(env);
        new CommandLine(serve).parseArgs(args);
        return serve.resolveConfig().models().getFirst();
    }

    @Test
    void anOllamaModelIsServedFromItsBlobUnderTheNameTyped() throws IOException {
        Path root = tmp.resolve("ollama");
        Path blob = Files.createDirectories(root.resolve("blobs")).resolve("sha256-" + "a".repeat(64));
        new GgufWriter().string("tokenizer.chat_template", "{{ messages[0]['content'] }}").write(blob);
        Files.writeString(Files.createDirectories(root.resolve("manifests/registry.ollama.ai/library/tiny")).resolve("latest"),
                "{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":" + Files.size(blob) + "}]}");
        ModelConfig m = resolve(Map.of("OLLAMA_MODELS", root.toString()), "--model", "ollama:tiny");
        assertThat(m.path()).isEqualTo(blob.toAbsolutePath());
        assertThat(m.name()).isEqualTo("tiny");
        assertThat(m.chatTemplate()).as("a GGUF file brings its own template").isNull();

        assertThatThrownBy(() -> resolve(Map.of("OLLAMA_MODELS", root.toString()), "--model", "ollama:tiny:7b")).isInstanceOf(ConfigException.class)
                .hasMessage("--model ollama:tiny:7b: ollama:tiny:7b is not pulled; local tags of tiny: latest");
    }

    @Test
    void aGgufFileIsServedWithItsOwnTemplate() throws IOException {
        Path gguf = tmp.resolve("m.gguf");
        new GgufWriter().string("tokenizer.chat_template", "{{ messages[0]['content'] }}").write(gguf);
        ModelConfig m = resolve(Map.of(), "--model", gguf.toString());
        assertThat(m.path()).isEqualTo(gguf.toAbsolutePath());
        assertThat(m.name()).isEqualTo("m");
        assertThat(m.chatTemplate()).as("the file's own template").isNull();

        Path base = tmp.resolve("base.gguf");
        new GgufWriter().string("general.architecture", "llama").write(base);
        assertThat(resolve(Map.of(), "--model", base.toString()).chatTemplate()).as("no template in the file: raw prompts").isEqualTo("raw");

        Path broken = Files.write(tmp.resolve("broken.gguf"), new byte[] {'G', 'G', 'U', 'F'});
        assertThatThrownBy(() -> resolve(Map.of(), "--model", broken.toString())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--model: ").hasMessageContaining("broken.gguf").hasMessageContaining("truncated");
        assertThatThrownBy(() -> resolve(Map.of(), "--model", tmp.resolve("none.gguf").toString()))
                .hasMessage("--model: no model file or directory at " + tmp.resolve("none.gguf"));
    }
}
