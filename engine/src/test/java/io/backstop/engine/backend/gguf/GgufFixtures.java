package io.backstop.engine.backend.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.model.ForwardPass;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The GGUF test data in ../shared/models: tiny-gguf (random weights + llama.cpp logits) and stories260K. */
public final class GgufFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GgufFixtures() {}

    public static Path tiny(String file) {
        return TestModels.shared().resolve("models/tiny-gguf").resolve(file);
    }

    public static Path stories(String file) {
        return TestModels.shared().resolve("models/stories260K/gguf").resolve(file);
    }

    /** A tiny-gguf reference: llama.cpp's (or, with exact, the float64) logits of the fixed prompt and the greedy ids. */
    public record TinyReference(String file, int[] promptIds, int[] greedyIds, float[] greedyGaps, float[][] logits) {}

    public static TinyReference tinyReference(String file, boolean exact) {
        Path dir = TestModels.shared().resolve("models/tiny-gguf/reference");
        String stem = file + (exact ? ".exact" : "");
        JsonNode n = json(dir.resolve(stem + ".json"));
        int vocab = n.get("n_vocab").asInt(), positions = n.get("positions").asInt();
        float[][] logits = new float[positions][vocab];
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(stem + ".logits.bin"))).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] row : logits) for (int i = 0; i < vocab; i++) row[i] = b.getFloat();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode gaps = n.get("greedy_top2_gap");
        float[] g = new float[gaps.size()];
        for (int i = 0; i < g.length; i++) g[i] = (float) gaps.get(i).asDouble();
        return new TinyReference(file, ints(n.get("prompt_ids")), ints(n.get("greedy_ids")), g, logits);
    }

    public static JsonNode json(Path f) {
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    /** One forward pass holding the pool's turn, as a session does. */
    public static void forward(ComputePool pool, ForwardPass pass, int[] tokens, int off, int n, int logitsFrom, float[] logits) {
        pool.lock().lock();
        try {
            pass.forward(tokens, off, n, logitsFrom, logits, null);
        } finally {
            pool.lock().unlock();
        }
    }

    /** Index of the largest value, the lowest index on ties (llama.cpp's greedy rule). */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }
}
