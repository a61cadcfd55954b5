package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** bench tokenizer runs one smoke iteration on real vocabularies and prints its table. */
class TokenizerBenchSmokeTest {
    @Test
    void tokenizerBenchmarkOnLlamaCppVocabularies() {
        Path dir = Path.of(System.getProperty("backstop.shared", "../shared"), "models/gguf-vocab");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = new CommandLine(new BenchMain()).execute("tokenizer", "--smoke",
                    "--gguf", dir.resolve("ggml-vocab-llama-spm.gguf") + "," + dir.resolve("qwen2.gguf"));
            assertThat(code).isZero();
        } finally {
            System.setOut(old);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Hardware:")
                .contains("| ggml-vocab-llama-spm.gguf | llama / default | 32000 | 0 |").contains("| qwen2.gguf | gpt2 / qwen2 | 151936 | 151387 |");
    }
}
