package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.model.WeightBytes;
import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticModel;
import io.backstop.engine.Engine;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.hub.ProgressListener;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture variant the named shapes use (untied Llama, tied Llama, Qwen2 with biases) loads
 * in every dtype and decodes, at a tiny size; parameter counts match the shape's own arithmetic.
 */
class SyntheticShapesTest {
    @TempDir
    static Path cache;

    static Stream<Arguments> variants() {
        Shape[] shapes = {
            new Shape("tiny-llama", "llama", 128, 2, 4, 2, 256, 512, 256, false),
            new Shape("tiny-llama-tied", "llama", 128, 2, 4, 2, 256, 512, 256, true), // like llama-3.2-1b
            new Shape("tiny-qwen2", "qwen2", 128, 2, 4, 2, 256, 512, 256, true)       // like qwen2.5-0.5b
        };
        return Stream.of(shapes).flatMap(s -> Stream.of(SyntheticModel.Dtype.values()).map(d -> Arguments.of(s, d)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variants")
    void loadsAndDecodes(Shape shape, SyntheticModel.Dtype dtype) throws Exception {
        Path dir = SyntheticModel.ensure(shape, dtype, cache, ProgressListener.NONE);
        try (Model m = Engine.load(dir, LoadOptions.defaults().withConcurrency(1, 0))) {
            assertThat(m.info().parameterCount()).isEqualTo(shape.parameters());
            assertThat(m.info().architecture()).isEqualTo(shape.arch().equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
            assertThat(m.info().dtype()).isEqualTo(dtype.name());
            var r = m.generate(GenerationRequest.builder(io.backstop.engine.Prompt.tokens(new int[] {1, 300, 301})).greedy().maxTokens(6).build());
            assertThat(r.usage().completionTokens()).isEqualTo(6); // the special tokens' output rows are zero: no early EOS
            assertThat(WeightBytes.perToken(dir)).isPositive();
        }
    }
}
