package io.backstop.engine.backend.gguf.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.text.Detokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The SentencePiece vocabulary of the model files gives llama.cpp's prompt ids, BOS first. */
class ModelPromptIdsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Path> tinyReferences() throws IOException {
        return Files.list(TestModels.shared().resolve("models/tiny-gguf/reference"))
                .filter(p -> p.getFileName().toString().endsWith(".gguf.json")).sorted();
    }

    @ParameterizedTest
    @MethodSource("tinyReferences")
    void everyTinyGgufModelTokenizesItsReferencePrompt(Path reference) throws IOException {
        JsonNode ref = JSON.readTree(reference.toFile());
        Path model = TestModels.shared().resolve("models/tiny-gguf").resolve(ref.get("model_file").asText());
        GgufTokenizer tokenizer = open(model);
        assertThat(withBos(tokenizer, ref.get("prompt_text").asText())).containsExactly(ints(ref.get("prompt_ids")));
    }

    @Test
    void stories260KGgufFilesTokenizeEveryReferencePrompt() throws IOException {
        for (String file : List.of("stories260K-f32.gguf", "stories260K-q8_0.gguf", "stories260K-q4_0.gguf")) {
            GgufTokenizer tokenizer = open(TestModels.shared().resolve("models/stories260K/gguf").resolve(file));
            assertThat(tokenizer.vocabulary().size()).isEqualTo(512);
            for (TestModels.Reference r : TestModels.references()) {
                assertThat(withBos(tokenizer, r.prompt())).as("%s: '%s'", file, r.prompt()).containsExactly(r.promptIds());
                int[] all = IntStream.concat(Arrays.stream(r.promptIds()), Arrays.stream(r.generatedIds())).toArray();
                assertThat(Detokenizer.decode(tokenizer.vocabulary(), all)).as(r.name()).isEqualTo(r.text());
            }
        }
    }

    private static int[] withBos(GgufTokenizer tokenizer, String text) {
        assertThat(tokenizer.addBos()).isTrue();
        int[] ids = tokenizer.encode(text, false);
        int[] out = new int[ids.length + 1];
        out[0] = tokenizer.bosId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static GgufTokenizer open(Path model) {
        try (GgufFile f = GgufFile.open(model)) {
            return GgufTokenizer.from(f.metadata());
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
