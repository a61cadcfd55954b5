package io.backstop.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Test fixtures from ../shared: the stories260K model and its greedy references. */
public final class TestModels {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Model stories;

    private TestModels() {}

    public static Path shared() {
        String p = System.getProperty("backstop.shared", "../shared");
        Path dir = Path.of(p).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) throw new IllegalStateException("test data folder not found: " + dir + " (set -Dbackstop.shared)");
        return dir;
    }

    public static Path storiesDir() {
        return shared().resolve("models/stories260K/hf");
    }

    /** One stories260K model shared by the engine tests (loading is cheap, but Jlama's thread pool is global). */
    public static synchronized Model stories() {
        if (stories == null) stories = Engine.load(storiesDir(), LoadOptions.defaults().withConcurrency(4, 2));
        return stories;
    }

    /** A reference output of llama2.c's run.c (greedy). */
    public record Reference(String name, String prompt, int steps, int[] promptIds, int[] generatedIds, String text) {
        /** run.c generates until position {@code steps}: the last prompt position yields the first token. */
        public int maxTokens() {
            return steps - promptIds.length + 1;
        }
    }

    public static List<Reference> references() {
        try (Stream<Path> files = Files.list(shared().resolve("models/stories260K/reference"))) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().map(TestModels::readReference).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Reference readReference(Path f) {
        try {
            JsonNode n = JSON.readTree(f.toFile());
            return new Reference(f.getFileName().toString().replace(".json", ""), n.get("prompt").asText(), n.get("steps").asInt(),
                    ints(n.get("prompt_ids")), ints(n.get("generated_ids")), n.get("text").asText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
