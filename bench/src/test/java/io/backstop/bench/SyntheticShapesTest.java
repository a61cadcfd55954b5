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

    static final Shape[] SHAPES = {
            new Shape("tiny-llama", "llama", 128, 2, 4, 2, 256, 512, 256, false),
            new Shape("tiny-llama-tied", "llama", 128, 2, 4, 2, 256, 512, 256, true), // like llama-3.2-1b
            new Shape("tiny-qwen2", "qwen2", 128, 2, 4, 2, 256, 512, 256, true)       // like qwen2.5-0.5b
    };

    static Stream<Arguments> variants() {
        return Stream.of(SHAPES).flatMap(s -> Stream.of(SyntheticModel.Dtype.values()).map(d -> Arguments.of(s, d)));
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

    static Stream<Arguments> ggufVariants() {
        return Stream.of(SHAPES).flatMap(s -> Stream.of(io.backstop.engine.backend.gguf.quant.QuantMix.values()).map(m -> Arguments.of(s, m)));
    }

    /** The GGUF twins: same shapes, llama.cpp's type mixes, on the native engine. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("ggufVariants")
    void ggufLoadsAndDecodesOnTheNativeEngine(Shape shape, io.backstop.engine.backend.gguf.quant.QuantMix mix) throws Exception {
        Path file = io.backstop.bench.synthetic.SyntheticGguf.ensure(shape, mix, cache, ProgressListener.NONE);
        try (Model m = Engine.load(file, LoadOptions.defaults().withConcurrency(1, 0))) {
            assertThat(m.info().backend()).isEqualTo("native");
            assertThat(m.info().parameterCount()).isEqualTo(shape.parameters());
            assertThat(m.info().architecture()).isEqualTo(shape.arch());
            assertThat(m.info().dtype()).isEqualTo(mix.name());
            var r = m.generate(GenerationRequest.builder(io.backstop.engine.Prompt.tokens(new int[] {1, 300, 301})).greedy().maxTokens(6).build());
            assertThat(r.usage().completionTokens()).isEqualTo(6);
            assertThat(WeightBytes.perToken(file)).isPositive().isLessThan(java.nio.file.Files.size(file));
        }
    }
}
