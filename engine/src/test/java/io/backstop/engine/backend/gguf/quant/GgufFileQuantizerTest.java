package io.backstop.engine.backend.gguf.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.GgufFixtures;
import io.backstop.engine.backend.gguf.GgufFixtures.TinyReference;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.model.ForwardPass;
import io.backstop.engine.backend.gguf.model.Transformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A GGUF file we quantize is the file llama-quantize writes from the same source, byte for byte
 * (tiny-gguf's quantized files were made by llama-quantize from its F32 file), and it runs on our engine.
 * Where a llama.cpp build is found (env {@code LLAMA_CPP_BIN}, else ../peers/llama.cpp/build/bin beside
 * the test data), llama-quantize is run on the BF16 file and llama.cpp loads and decodes our file.
 */
class GgufFileQuantizerTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"Q8_0, tiny-llama-Q8_0.gguf", "Q4_0, tiny-llama-Q4_0.gguf", "Q4_K_M, tiny-llama-Q4_K_M.gguf", "F16, tiny-llama-F16.gguf"})
    void writesTheFileLlamaQuantizeWroteFromTheSameSource(String type, String reference) throws IOException {
        Path ours = GgufFileQuantizer.quantize(GgufFixtures.tiny("tiny-llama-F32.gguf"), tmp.resolve("out.gguf"), GgufFileQuantizer.mix(type));
        assertThat(firstDifference(Files.readAllBytes(ours), Files.readAllBytes(GgufFixtures.tiny(reference)))).as("first differing byte").isEqualTo(-1);
    }

    @Test
    void theWrittenFileDecodesTheReferenceTokensOnOurEngine() {
        Path ours = GgufFileQuantizer.quantize(GgufFixtures.tiny("tiny-llama-F32.gguf"), tmp.resolve("q4km.gguf"), QuantMix.Q4_K_M);
        TinyReference ref = GgufFixtures.tinyReference("tiny-llama-Q4_K_M.gguf", true);
        try (GgufFile file = GgufFile.open(ours); ComputePool pool = ComputePool.shared(2)) {
            Transformer tr = Transformer.of(file);
            ForwardPass pass = tr.newSequence(pool);
            int vocab = tr.config().vocab();
            float[] logits = new float[vocab];
            int[] tokens = Arrays.copyOf(ref.promptIds(), ref.promptIds().length + 8);
            int n = ref.promptIds().length;
            GgufFixtures.forward(pool, pass, tokens, 0, n, n - 1, logits);
            for (int i = 0; i < 8; i++) {
                int next = GgufFixtures.argmax(logits, 0, vocab);
                assertThat(next).as("greedy token %d", i).isEqualTo(ref.greedyIds()[i]);
                tokens[n] = next;
                GgufFixtures.forward(pool, pass, tokens, n, 1, 0, logits);
                n++;
            }
        }
    }

    @Test
    void refusesQuantizedSourcesExistingOutputsAndUnknownTypes() throws IOException {
        assertThatThrownBy(() -> GgufFileQuantizer.quantize(GgufFixtures.tiny("tiny-llama-Q8_0.gguf"), tmp.resolve("x.gguf"), QuantMix.Q4_0))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("is already quantized (").hasMessageContaining("Q8_0");
        Path existing = Files.writeString(tmp.resolve("taken.gguf"), "x");
        assertThatThrownBy(() -> GgufFileQuantizer.quantize(GgufFixtures.tiny("tiny-llama-F32.gguf"), existing, QuantMix.Q4_0))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("already exists");
        assertThat(Files.readString(existing)).isEqualTo("x");
        assertThatThrownBy(() -> GgufFileQuantizer.mix("Q4")).isInstanceOf(InvalidRequestException.class)
                .hasMessage("unknown quantization 'Q4' for a GGUF source; supported: Q8_0, Q4_0, Q4_K_M, F16");
        assertThat(GgufFileQuantizer.mix("q4_k_m")).isEqualTo(QuantMix.Q4_K_M);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("taken.gguf");
        }
    }

    @ParameterizedTest
    @CsvSource({"Q4_K_M, Q4_K_M", "Q8_0, Q8_0", "Q4_0, Q4_0"})
    void equalsLlamaQuantizeOnABf16SourceAndLlamaCppRunsIt(String type, String llamaType) throws Exception {
        Path bin = llamaCppBin();
        assumeTrue(Files.isExecutable(bin.resolve("llama-quantize")), "no llama.cpp build at " + bin);
        Path source = GgufFixtures.tiny("tiny-llama-BF16.gguf");
        Path theirs = tmp.resolve("theirs.gguf");
        run(bin, List.of(bin.resolve("llama-quantize").toString(), source.toString(), theirs.toString(), llamaType, "1"));
        Path ours = GgufFileQuantizer.quantize(source, tmp.resolve("ours.gguf"), GgufFileQuantizer.mix(type));
        assertThat(firstDifference(Files.readAllBytes(ours), Files.readAllBytes(theirs))).as("first differing byte").isEqualTo(-1);
        String bench = run(bin, List.of(bin.resolve("llama-bench").toString(), "-m", ours.toString(), "-p", "8", "-n", "8", "-r", "1", "-t", "1", "-o", "csv"));
        assertThat(bench).contains("ours.gguf").contains("\"8\"");
    }

    private static Path llamaCppBin() {
        String env = System.getenv("LLAMA_CPP_BIN");
        return env != null ? Path.of(env) : TestModels.shared().resolve("../peers/llama.cpp/build/bin").normalize();
    }

    private String run(Path bin, List<String> cmd) throws Exception {
        Path log = tmp.resolve("llama.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("LD_LIBRARY_PATH", bin.toString());
        Process p = pb.start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("%s finished", cmd.get(0)).isTrue();
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static int firstDifference(byte[] a, byte[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) if (a[i] != b[i]) return i;
        return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }
}
