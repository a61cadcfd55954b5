package io.backstop.engine.backend.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.backstop.engine.Engine;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Model;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.file.GgufFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged or unsupported GGUF files are refused at load with one line naming the file and the problem
 * (never a JVM crash), and a model already loaded in the process keeps generating correctly.
 */
class BadGgufFilesTest {
    @TempDir
    Path tmp;

    @Test
    void eachBadFileGetsItsOneLineErrorAndTheLoadedModelKeepsServing() throws IOException {
        Path good = GgufFixtures.tiny("tiny-llama-Q4_K_M.gguf");
        byte[] whole = Files.readAllBytes(good);
        long dataStart;
        try (GgufFile f = GgufFile.open(good)) {
            dataStart = f.dataOffset();
        }
        Map<Path, String> cases = new LinkedHashMap<>();
        for (long cut : new long[] {3, 20, 4000, dataStart - 1, dataStart + 100, whole.length - 1}) {
            cases.put(write("cut-" + cut + ".gguf", Arrays.copyOf(whole, (int) cut)), "truncated|past the end|does not fit|only");
        }
        byte[] magic = whole.clone();
        magic[0] = 'X';
        cases.put(write("magic.gguf", magic), quote("not a GGUF file: bad magic"));
        byte[] version = whole.clone();
        ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 7);
        cases.put(write("version.gguf", version), quote("unsupported GGUF version 7"));

        Path phi = tmp.resolve("phi3.gguf");
        GgufTestFiles.copy(good, phi, w -> w.string("general.architecture", "phi3"));
        cases.put(phi, quote("architecture 'phi3' is not supported by the native engine (supported: llama, qwen2, qwen3)"));
        Path q2k = tmp.resolve("q2k.gguf");
        GgufTestFiles.copy(good, q2k, w -> {}, "blk.1.ffn_up.weight", GgmlType.Q2_K);
        cases.put(q2k, quote("tensor 'blk.1.ffn_up.weight' has type Q2_K, which the native engine cannot compute (supported: F32, F16, Q4_0"));
        Path missing = tmp.resolve("missing.gguf");
        GgufTestFiles.copy(GgufFixtures.tiny("tiny-llama-F32.gguf"), missing, w -> w.uint32("llama.block_count", 3));
        cases.put(missing, quote("tensor 'blk.2.attn_norm.weight' is missing"));
        Path shape = tmp.resolve("shape.gguf");
        GgufTestFiles.copy(GgufFixtures.tiny("tiny-llama-F32.gguf"), shape, w -> w.uint32("llama.feed_forward_length", 512));
        cases.put(shape, quote("tensor 'blk.0.ffn_gate.weight' has shape [256, 768], expected [256, 512]"));
        Path unknownType = write("unknown-type.gguf", retype(whole, 99));
        cases.put(unknownType, quote("unknown tensor type id 99"));

        try (Model serving = Engine.load(GgufFixtures.stories("stories260K-f32.gguf"))) {
            for (Map.Entry<Path, String> c : cases.entrySet()) {
                ModelLoadException e = catchThrowableOfType(ModelLoadException.class, () -> Engine.load(c.getKey()));
                assertThat(e).as(c.getKey().getFileName().toString()).isNotNull();
                assertThat(e.getMessage()).startsWith(c.getKey().getFileName() + ": ").doesNotContain("\n").containsPattern(c.getValue());
            }
            TestModels.Reference ref = TestModels.references().get(2);
            var r = serving.generate(GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).stopTokenIds(Set.of(1)).build());
            assertThat(r.tokenIds()).containsExactly(ref.generatedIds());
        }
    }

    /** The first tensor's type id set to {@code id} (found after its name in the tensor table). */
    private static byte[] retype(byte[] file, int id) throws IOException {
        byte[] b = file.clone();
        byte[] name = "output.weight".getBytes();
        for (int i = 0; i < b.length - name.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(b, i, i + name.length), name) && b[i - 8] == name.length) {
                int typePos = i + name.length + 4 + 2 * 8; // n_dims, two dims
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typePos, id);
                return b;
            }
        }
        throw new IOException("tensor entry not found");
    }

    private static String quote(String literal) {
        return java.util.regex.Pattern.quote(literal);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }
}
