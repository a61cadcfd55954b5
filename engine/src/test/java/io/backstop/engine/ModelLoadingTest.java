package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Describing, refusing and quantizing models. */
class ModelLoadingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void describesTheModel() {
        ModelInfo info = TestModels.stories().info();
        assertThat(info.architecture()).isEqualTo("LlamaForCausalLM");
        assertThat(info.dtype()).isEqualTo("F32");
        assertThat(info.vocabSize()).isEqualTo(512);
        assertThat(info.hiddenSize()).isEqualTo(64);
        assertThat(info.layers()).isEqualTo(5);
        assertThat(info.attentionHeads()).isEqualTo(8);
        assertThat(info.kvHeads()).isEqualTo(4);
        assertThat(info.intermediateSize()).isEqualTo(256);
        // embeddings 512·64 (tied) + 5 layers · (q 64·64 + k,v 2·32·64 + o 64·64 + MLP 3·64·256 + 2 norms·64) + final norm 64
        long perLayer = 64 * 64 + 2 * 32 * 64 + 64 * 64 + 3L * 64 * 256 + 2 * 64;
        assertThat(info.parameterCount()).isEqualTo(512 * 64 + 5 * perLayer + 64);
        assertThat(info.chatTemplates()).isEmpty();
    }

    @Test
    void missingPathAndNonModelFoldersGetClearErrors() {
        assertThatThrownBy(() -> Engine.load(tmp.resolve("nope")))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Engine.load(tmp))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("Hugging Face model directory");
    }

    @Test
    void mlpWidthsJlamaWouldComputeWronglyAreRefusedNamingTheDimension() throws IOException {
        for (int width : List.of(172, 300)) {
            Path dir = copyWithConfig("mlp" + width, c -> c.put("intermediate_size", width));
            assertThatThrownBy(() -> Engine.load(dir))
                    .isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining("intermediate_size=" + width);
        }
    }

    @Test
    void jlamaQ8WeightsAreRefusedWithAClearError() throws IOException {
        Path dir = copyWithConfig("q8", c -> {});
        Files.delete(dir.resolve("model.safetensors"));
        writeHeaderOnlySafetensors(dir.resolve("model.safetensors"), "I8");
        assertThatThrownBy(() -> Engine.load(dir))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("Q8")
                .hasMessageContaining("Q4");
    }

    @Test
    void quantizesToQ4AndTheResultLoadsAndGenerates() {
        Path out = tmp.resolve("stories-q4");
        Engine.quantize(TestModels.storiesDir(), out, "Q4");
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(tmp.resolve("stories-q4.partial")).doesNotExist();
        try (Model q4 = Engine.load(out)) {
            assertThat(q4.info().dtype()).isEqualTo("Q4");
            assertThat(q4.info().parameterCount()).isEqualTo(TestModels.stories().info().parameterCount());
            GenerationResult r = q4.generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(20).build());
            assertThat(r.usage().completionTokens()).isBetween(1, 20);
            // a 4-bit copy of a tiny model still writes words, not noise
            assertThat(r.text()).matches("[A-Za-z ,.'\"!?\\n-]+");
        }
    }

    @Test
    void quantizeRefusesQ8AndExistingOutputs() throws IOException {
        assertThatThrownBy(() -> Engine.quantize(TestModels.storiesDir(), tmp.resolve("x"), "Q8"))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("Q8 is not offered")
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo("type");
        assertThat(tmp.resolve("x")).doesNotExist();
        Path existing = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(existing.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> Engine.quantize(TestModels.storiesDir(), existing, "Q4"))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("already exists");
        assertThat(existing.resolve("keep.txt")).hasContent("mine");
    }

    private Path copyWithConfig(String name, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(TestModels.storiesDir())) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        dir.resolve("config.json").toFile().setWritable(true);
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }

    private static void writeHeaderOnlySafetensors(Path file, String dtype) throws IOException {
        byte[] header = ("{\"model.embed_tokens.weight\":{\"dtype\":\"" + dtype + "\",\"shape\":[512,64],\"data_offsets\":[0,32768]}}")
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + 32768).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Files.write(file, b.array());
    }
}
