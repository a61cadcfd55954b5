package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.decode.LoopVsJlama;
import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticModel;
import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke run of the benchmark (so it cannot rot), and a cross-check: both loops produce the same greedy text. */
class LoopVsJlamaSmokeTest {
    @TempDir
    Path tmp;

    @Test
    void ourLoopAndJlamasGenerateAgreeOnStories260K() {
        Path stories = Path.of(System.getProperty("backstop.shared", "../shared"), "models/stories260K/hf");
        try (Model m = Engine.load(stories, LoadOptions.defaults().withConcurrency(1, 0))) {
            LoopVsJlama.Result r = new LoopVsJlama(m).run("Once upon a time", 24, 0, 1);
            assertThat(r.ours().get(0).generated()).isEqualTo(24);
            assertThat(r.jlama().get(0).generated()).isEqualTo(24);
            assertThat(r.ours().get(0).text()).isEqualTo(r.jlama().get(0).text());
            assertThat(r.oursMedian()).isPositive();
            assertThat(r.jlamaMedian()).isPositive();
        }
    }

    @Test
    void syntheticModelLoadsAndBothLoopsRunIt() throws Exception {
        Path dir = SyntheticModel.ensure(Shape.TINY, SyntheticModel.Dtype.F32, tmp, io.backstop.engine.hub.ProgressListener.NONE);
        try (Model m = Engine.load(dir, LoadOptions.defaults().withConcurrency(1, 0))) {
            assertThat(m.info().parameterCount()).isEqualTo(Shape.TINY.parameters());
            LoopVsJlama.Result r = new LoopVsJlama(m).run("hello", 8, 0, 1);
            assertThat(r.ours().get(0).generated()).isEqualTo(8);
            assertThat(r.jlama().get(0).generated()).isEqualTo(8);
        }
    }
}
