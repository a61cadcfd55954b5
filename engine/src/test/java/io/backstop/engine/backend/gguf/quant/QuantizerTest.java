package io.backstop.engine.backend.gguf.quant;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.GgufFixtures;
import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our quantizers write the bytes llama.cpp's {@code llama-quantize} wrote: every tensor of the tiny-gguf
 * quantized files is re-made from the F32 original and compared byte for byte.
 */
class QuantizerTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-Q8_0.gguf", "tiny-llama-Q4_0.gguf", "tiny-llama-Q5_0.gguf", "tiny-llama-Q4_K_M.gguf", "tiny-llama-Q6_K.gguf"})
    void reproducesLlamaQuantizeByteForByte(String quantized) {
        List<String> checked = new ArrayList<>();
        try (GgufFile f32 = GgufFile.open(GgufFixtures.tiny("tiny-llama-F32.gguf")); GgufFile q = GgufFile.open(GgufFixtures.tiny(quantized))) {
            for (GgufTensorInfo t : q.tensors()) {
                if (t.type() == GgmlType.F32) continue;
                Quantizer quantizer = Quantizer.of(t.type());
                float[] src = f32.tensor(t.name()).data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
                byte[] ours = new byte[(int) t.byteSize()];
                int cols = (int) t.rowLength(), rowBytes = quantizer.bytes(cols);
                for (int r = 0; r < t.rows(); r++) quantizer.quantize(src, r * cols, cols, ours, r * rowBytes);
                byte[] theirs = t.data().toArray(ValueLayout.JAVA_BYTE);
                assertThat(firstDifference(ours, theirs)).as("%s (%s): first differing byte", t.name(), t.type()).isEqualTo(-1);
                checked.add(t.name() + ":" + t.type());
            }
        }
        assertThat(checked).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gguf/tiny-llama-F16.gguf", "tiny-gguf/tiny-llama-Q8_0.gguf", "tiny-gguf/tiny-llama-Q4_0.gguf",
            "tiny-gguf/tiny-llama-Q4_K_M.gguf", "tiny-gguf/tiny-qwen2-Q4_K_M.gguf", "tiny-gguf/tiny-qwen3-Q8_0.gguf",
            "stories260K/gguf/stories260K-q4_0.gguf", "stories260K/gguf/stories260K-q8_0.gguf"})
    void mixesGiveEachTensorTheTypeLlamaQuantizeChose(String file) {
        try (GgufFile f = GgufFile.open(io.backstop.engine.TestModels.shared().resolve("models").resolve(file))) {
            QuantMix mix = switch ((int) f.metadata().integer("general.file_type")) {
                case 1 -> QuantMix.F16;
                case 7 -> QuantMix.Q8_0;
                case 2 -> QuantMix.Q4_0;
                case 15 -> QuantMix.Q4_K_M;
                default -> throw new IllegalStateException();
            };
            int layers = f.metadata().int32(f.metadata().string("general.architecture") + ".block_count");
            boolean tied = f.tensor("output.weight") == null;
            for (GgufTensorInfo t : f.tensors()) {
                if (t.dims().length == 1) continue;
                boolean output = t.name().equals("output.weight") || (tied && t.name().equals("token_embd.weight"));
                int layer = t.name().startsWith("blk.") ? Integer.parseInt(t.name().split("\\.")[1]) : -1;
                assertThat(mix.typeFor(t.name(), output, layer, layers, t.rowLength())).as(t.name()).isEqualTo(t.type());
            }
        }
    }

    private static int firstDifference(byte[] a, byte[] b) {
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return i;
        return a.length == b.length ? -1 : a.length;
    }
}
