package io.backstop.engine.hub;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model nobody names is called after its folder, unless the folder name only says "Hugging Face format". */
class ModelNamesTest {
    @TempDir
    Path tmp;

    @Test
    void aFolderWithAMeaningfulNameKeepsIt() throws Exception {
        Path dir = model(tmp.resolve("Llama-3.2-1B-Instruct-JQ4"), "meta-llama/Llama-3.2-1B-Instruct");
        assertThat(ModelNames.of(dir)).isEqualTo("Llama-3.2-1B-Instruct-JQ4");
    }

    @Test
    void anHfFolderIsNamedAfterTheConfigsNameOrPath() {
        assertThat(ModelNames.of(TestModels.storiesDir())).isEqualTo("stories260K");
    }

    @Test
    void aRepoIdOrPathInTheConfigGivesItsLastPart() throws Exception {
        assertThat(ModelNames.of(model(tmp.resolve("a/hf"), "meta-llama/Llama-3.2-1B"))).isEqualTo("Llama-3.2-1B");
        assertThat(ModelNames.of(model(tmp.resolve("b/model"), "/data/me/runs/tiny-chat/"))).isEqualTo("tiny-chat");
    }

    @Test
    void withoutAUsefulConfigNameTheParentFolderNamesIt() throws Exception {
        assertThat(ModelNames.of(model(tmp.resolve("tiny-chat/hf"), null))).isEqualTo("tiny-chat");
        assertThat(ModelNames.of(model(tmp.resolve("qwen-small/HF"), "model"))).isEqualTo("qwen-small");
        // a Hugging Face cache snapshot
        Path snapshot = model(tmp.resolve("hub/models--TinyLlama--TinyLlama-1.1B-Chat-v1.0/snapshots/0123456789abcdef0123456789abcdef01234567"), null);
        assertThat(ModelNames.of(snapshot)).isEqualTo("TinyLlama-1.1B-Chat-v1.0");
    }

    @Test
    void whenNothingIsBetterTheFolderNameStays() throws Exception {
        Path dir = model(tmp.resolve("models/hf"), null);
        assertThat(ModelNames.of(dir)).isEqualTo("hf");
    }

    private static Path model(Path dir, String nameOrPath) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), nameOrPath == null ? "{\"model_type\":\"llama\"}"
                : "{\"_name_or_path\":\"" + nameOrPath + "\",\"model_type\":\"llama\"}");
        return dir;
    }
}
