package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.server.CliScriptIT.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** scripts/backstop on GGUF files, as a user runs it: the native backend chosen by the path. */
class GgufCliScriptIT {
    private static final Path SHARED = Path.of(System.getProperty("backstop.shared", "../shared")).toAbsolutePath().normalize();
    private static final Path GGUF = SHARED.resolve("models/stories260K/gguf/stories260K-f32.gguf");

    @TempDir
    Path tmp;

    static Stream<JsonNode> references() throws Exception {
        return CliScriptIT.references();
    }

    /** The reference's tokens before a final BOS (llama2.c stops on it; the GGUF's EOS is 2 only). */
    @ParameterizedTest
    @MethodSource("references")
    void greedyGenerateStreamsTheReferenceContinuation(JsonNode ref) throws Exception {
        String prompt = ref.get("prompt").asText();
        JsonNode gen = ref.get("generated_ids");
        int tokens = gen.size() - (gen.get(gen.size() - 1).asInt() == 1 ? 1 : 0);
        Run r = CliScriptIT.backstop("generate", "--model", GGUF.toString(), "--prompt", prompt, "--max-tokens", String.valueOf(tokens), "--temperature", "0");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(prompt + r.out()).isEqualTo(ref.get("text").asText() + "\n");
    }

    @Test
    void tokenizeAndInfo() throws Exception {
        Run t = CliScriptIT.backstop("tokenize", "-m", GGUF.toString(), "--text", "The little dog was sad because");
        assertThat(t.out().trim()).isEqualTo("1 291 376 400 428 286 296 418 329 429 412 425 372");
        Run i = CliScriptIT.backstop("info", "-m", SHARED.resolve("models/tiny-gguf/tiny-qwen2-Q4_K_M.gguf").toString());
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("backend:           native").contains("architecture:      qwen2").contains("dtype:             Q4_K_M")
                .containsPattern("tensor types:      Q4_K [0-9.]+ MB, Q6_K [0-9.]+ MB, F32 [0-9.]+ MB");
    }

    @Test
    void badBackendsAndFilesGiveOneClearLine() throws Exception {
        Path broken = tmp.resolve("broken.gguf");
        Files.write(broken, java.util.Arrays.copyOf(Files.readAllBytes(GGUF), 5000));
        record Case(String[] args, int exit, String message) {}
        for (Case c : new Case[] {
                new Case(new String[] {"generate", "-m", GGUF.toString(), "-p", "x", "--backend", "llamacpp"}, 2, "--backend must be native or jlama"),
                new Case(new String[] {"generate", "-m", GGUF.toString(), "-p", "x", "--backend", "jlama"}, 1, "is a GGUF file; the Jlama backend reads"),
                new Case(new String[] {"info", "-m", broken.toString()}, 1, "broken.gguf: truncated")}) {
            Run r = CliScriptIT.backstop(c.args());
            assertThat(r.exit()).as(String.join(" ", c.args())).isEqualTo(c.exit());
            assertThat(r.errorLines()).as(r.err()).singleElement().asString().contains(c.message());
            assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
