package io.backstop.engine.backend.gguf.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.TestModels;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsMetadataAndTensorTableOfARealModel() {
        try (GgufFile f = GgufFile.open(TestModels.shared().resolve("models/tiny-gguf/tiny-llama-Q4_K_M.gguf"))) {
            assertThat(f.version()).isEqualTo(3);
            GgufMetadata m = f.metadata();
            assertThat(m.string("general.architecture")).isEqualTo("llama");
            assertThat(m.int32("llama.embedding_length")).isEqualTo(256);
            assertThat(m.int32("llama.block_count")).isEqualTo(2);
            assertThat(m.float32("llama.rope.freq_base")).isEqualTo(10000f);
            assertThat(m.strings("tokenizer.ggml.tokens")).hasSize(512);
            assertThat(m.floats("tokenizer.ggml.scores")).hasSize(512);
            assertThat(m.ints("tokenizer.ggml.token_type")).hasSize(512);
            assertThat(m.type("tokenizer.ggml.tokens")).isEqualTo(new GgufMetadata.Type(GgufValueType.ARRAY, GgufValueType.STRING));

            GgufTensorInfo q = f.tensor("blk.0.attn_q.weight");
            assertThat(q.type()).isEqualTo(GgmlType.Q4_K);
            assertThat(q.dims()).containsExactly(256, 256);
            assertThat(q.byteSize()).isEqualTo(256L * 144); // 256 rows of one 144-byte super-block
            assertThat(q.data().byteSize()).isEqualTo(q.byteSize());
            assertThat(f.tensor("output.weight").type()).isEqualTo(GgmlType.Q6_K);
            assertThat(f.tensor("output_norm.weight").type()).isEqualTo(GgmlType.F32);
            // the last tensor ends inside the file, and every offset is aligned
            for (GgufTensorInfo t : f.tensors()) {
                assertThat((t.offset() - f.dataOffset()) % f.alignment()).isZero();
                assertThat(t.offset() + t.byteSize()).isLessThanOrEqualTo(f.fileSize());
            }
        }
    }

    @Test
    void readsVocabularyOnlyFiles() {
        try (GgufFile f = GgufFile.open(TestModels.shared().resolve("models/gguf-vocab/qwen2.gguf"))) {
            assertThat(f.tensors()).isEmpty();
            assertThat(f.metadata().strings("tokenizer.ggml.tokens")).hasSize(151936);
            assertThat(f.metadata().string("tokenizer.ggml.pre")).isEqualTo("qwen2");
            assertThat(f.metadata().strings("tokenizer.ggml.merges")).hasSize(151387);
        }
    }

    @Test
    void writtenFilesReadBackWithTheSameTypesAndBytes() throws IOException {
        Path out = tmp.resolve("w.gguf");
        float[] weights = new float[64 * 3];
        for (int i = 0; i < weights.length; i++) weights[i] = i * 0.5f;
        new GgufWriter()
                .string("general.architecture", "llama").uint32("llama.context_length", 128).float32("eps", 1e-5f)
                .bool("flag", true).strings("toks", new String[] {"a", "é", ""}).int32s("types", new int[] {1, -3, 6})
                .float32s("scores", new float[] {0.5f, -1f})
                .tensor("w", GgmlType.F32, new long[] {64, 3}, ch -> ch.write(floats(weights)))
                .tensor("b", GgmlType.F32, new long[] {5}, ch -> ch.write(floats(new float[] {1, 2, 3, 4, 5})))
                .write(out);
        assertThat(tmp.resolve("w.gguf.partial")).doesNotExist();
        try (GgufFile f = GgufFile.open(out)) {
            GgufMetadata m = f.metadata();
            assertThat(m.string("general.architecture")).isEqualTo("llama");
            assertThat(m.type("llama.context_length").value()).isEqualTo(GgufValueType.UINT32);
            assertThat(m.int32("llama.context_length")).isEqualTo(128);
            assertThat(m.float32("eps")).isEqualTo(1e-5f);
            assertThat(m.bool("flag", false)).isTrue();
            assertThat(m.strings("toks")).containsExactly("a", "é", "");
            assertThat(m.ints("types")).containsExactly(1, -3, 6);
            assertThat(m.floats("scores")).containsExactly(0.5f, -1f);
            GgufTensorInfo w = f.tensor("w");
            float[] back = w.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertThat(back).containsExactly(weights);
            assertThat(f.tensor("b").offset() % 32).isZero();
        }
    }

    @Test
    void copiedMetadataKeepsItsType() {
        Path out = tmp.resolve("copy.gguf");
        try (GgufFile src = GgufFile.open(TestModels.shared().resolve("models/tiny-gguf/tiny-llama-F32.gguf"))) {
            GgufWriter w = new GgufWriter();
            for (String k : src.metadata().keys()) w.copy(k, src.metadata());
            w.write(out);
            try (GgufFile back = GgufFile.open(out)) {
                for (String k : src.metadata().keys()) {
                    assertThat(back.metadata().type(k)).as(k).isEqualTo(src.metadata().type(k));
                    Object a = src.metadata().get(k), b = back.metadata().get(k);
                    assertThat(Arrays.deepEquals(new Object[] {a}, new Object[] {b})).as(k).isTrue();
                }
            }
        }
    }

    @Test
    void refusesBadMagicAndVersionsWithAMessageNamingTheFile() throws IOException {
        Path bad = write("bad.gguf", ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putInt(0x12345678).array());
        assertThatThrownBy(() -> GgufFile.open(bad)).isInstanceOf(GgufFormatException.class)
                .hasMessage("bad.gguf: not a GGUF file: bad magic 0x12345678 (expected 'GGUF')");
        Path v9 = write("v9.gguf", header(9, 0, 0));
        assertThatThrownBy(() -> GgufFile.open(v9)).hasMessage("v9.gguf: unsupported GGUF version 9 (versions 2 and 3 are supported)");
        Path v1 = write("v1.gguf", header(1, 0, 0));
        assertThatThrownBy(() -> GgufFile.open(v1)).hasMessageContaining("GGUF version 1 is not supported");
        Path empty = write("empty.gguf", new byte[0]);
        assertThatThrownBy(() -> GgufFile.open(empty)).hasMessage("empty.gguf: not a GGUF file: only 0 bytes");
        assertThatThrownBy(() -> GgufFile.open(tmp.resolve("missing.gguf"))).hasMessage("missing.gguf: file does not exist");
    }

    @Test
    void refusesAFileTruncatedAtAnyOffset() throws IOException {
        byte[] whole = Files.readAllBytes(TestModels.shared().resolve("models/tiny-gguf/tiny-qwen3-Q8_0.gguf"));
        long dataStart;
        try (GgufFile f = GgufFile.open(TestModels.shared().resolve("models/tiny-gguf/tiny-qwen3-Q8_0.gguf"))) {
            dataStart = f.dataOffset();
        }
        int[] cuts = {5, 12, 23, 40, 100, 1000, 5000, (int) dataStart - 7, (int) dataStart + 10, whole.length / 2, whole.length - 1};
        for (int cut : cuts) {
            Path p = write("cut" + cut + ".gguf", Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> GgufFile.open(p)).as("cut at %d", cut).isInstanceOf(GgufFormatException.class)
                    .hasMessageStartingWith("cut" + cut + ".gguf: ")
                    .message().containsAnyOf("truncated", "past the end", "does not fit");
        }
    }

    @Test
    void refusesUnknownTensorTypesAndLyingSizes() throws IOException {
        byte[] ok = Files.readAllBytes(TestModels.shared().resolve("models/tiny-gguf/tiny-llama-F32.gguf"));
        // find the first tensor entry's type field: re-create a file whose only tensor has type id 99
        Path unknown = tmp.resolve("unknown.gguf");
        new GgufWriter().tensor("t", GgmlType.F32, new long[] {4}, ch -> ch.write(floats(new float[4]))).write(unknown);
        byte[] b = Files.readAllBytes(unknown);
        int typePos = 4 + 4 + 8 + 8 + (8 + 1) + 4 + 8; // magic, version, counts, name "t", n_dims, dim
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typePos, 99);
        Files.write(unknown, b);
        assertThatThrownBy(() -> GgufFile.open(unknown)).hasMessage("unknown.gguf: tensor 't': unknown tensor type id 99");

        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typePos, 0).putLong(typePos + 4, 1L << 40);
        Files.write(unknown, b);
        assertThatThrownBy(() -> GgufFile.open(unknown)).hasMessageContaining("tensor 't': data").hasMessageContaining("past the end of the file");
        assertThat(ok).isNotEmpty();
    }

    private static ByteBuffer floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.flip();
    }

    private static byte[] header(int version, long tensors, long kvs) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(GgufFile.MAGIC).putInt(version).putLong(tensors).putLong(kvs).array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }
}
