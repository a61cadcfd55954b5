package io.backstop.engine.backend.gguf.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.GgufFixtures;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * stories260K as GGUF through the forward pass: the F32 file reproduces every llama2.c reference; the
 * Q8_0 and Q4_0 files reproduce llama.cpp's greedy ids with the weights dequantized to F32 (what our
 * kernels compute) entirely, and llama.cpp's own ids up to the step where its rounding of activations
 * to Q8_0 blocks first changes a token (the index the fixtures document).
 */
class StoriesGgufTest {
    static ComputePool pool;

    @BeforeAll
    static void pool() {
        pool = ComputePool.shared(2);
    }

    @AfterAll
    static void release() {
        pool.close();
    }

    static Stream<TestModels.Reference> references() {
        return TestModels.references().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void f32ReproducesTheLlama2cReference(TestModels.Reference ref) {
        assertThat(generate("stories260K-f32.gguf", ref, ref.generatedIds().length)).containsExactly(ref.generatedIds());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void q8_0AndQ4_0ReproduceLlamaCppsIds(TestModels.Reference ref) {
        for (String q : new String[] {"q8_0", "q4_0"}) {
            JsonNode n = GgufFixtures.json(GgufFixtures.stories(ref.name() + ".llama.cpp-" + q + ".json"));
            int[] dequantized = GgufFixtures.ints(n.get("generated_ids_weights_dequantized_to_f32"));
            int[] llamaCpp = GgufFixtures.ints(n.get("generated_ids"));
            int[] ours = generate("stories260K-" + q + ".gguf", ref, Math.max(dequantized.length, llamaCpp.length));
            assertThat(ours).as(q + ": llama.cpp with the weights dequantized to F32").containsExactly(dequantized);
            int divergence = 0; // where llama.cpp's Q8_0 activations change the story
            while (divergence < Math.min(dequantized.length, llamaCpp.length) && dequantized[divergence] == llamaCpp[divergence]) divergence++;
            assertThat(Arrays.copyOf(ours, Math.min(ours.length, divergence))).as(q + ": llama.cpp's ids before its activation rounding diverges")
                    .containsExactly(Arrays.copyOf(llamaCpp, divergence));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void q4_0sOneSequenceCopyReproducesTheSameIds(TestModels.Reference ref) {
        JsonNode n = GgufFixtures.json(GgufFixtures.stories(ref.name() + ".llama.cpp-q4_0.json"));
        int[] dequantized = GgufFixtures.ints(n.get("generated_ids_weights_dequantized_to_f32"));
        assertThat(generate("stories260K-q4_0.gguf", ref, dequantized.length, DecodeLayout.ONE_SEQUENCE)).containsExactly(dequantized);
    }

    private static int[] generate(String file, TestModels.Reference ref, int max) {
        return generate(file, ref, max, DecodeLayout.BATCH);
    }

    /** Greedy until BOS (llama2.c's stories end with it) or the reference's step limit. */
    private static int[] generate(String file, TestModels.Reference ref, int max, DecodeLayout layout) {
        try (GgufFile f = GgufFile.open(GgufFixtures.stories(file))) {
            Transformer tr = Transformer.of(f, layout);
            int vocab = tr.config().vocab();
            ForwardPass pass = tr.newSequence(pool);
            float[] logits = new float[vocab];
            int[] p = ref.promptIds();
            for (int off = 0; off < p.length; off += pass.capacity()) {
                int n = Math.min(pass.capacity(), p.length - off);
                GgufFixtures.forward(pool, pass, p, off, n, n - 1, logits);
            }
            int[] out = new int[max];
            int k = 0;
            while (k < max) {
                int token = GgufFixtures.argmax(logits, 0, vocab);
                out[k++] = token;
                if (token == 1 || pass.position() >= ref.steps()) break;
                GgufFixtures.forward(pool, pass, out, k - 1, 1, 0, logits);
            }
            return Arrays.copyOf(out, k);
        }
    }
}
