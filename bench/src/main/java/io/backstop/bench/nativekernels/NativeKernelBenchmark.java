package io.backstop.bench.nativekernels;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH benchmark of one native-engine matrix product ({@link NativeMatmul}); run through {@link NativeKernels#run}.
 * Every trial checks its product against the scalar reference first and again at the end, and refuses to
 * report a kernel that computes wrong outputs; the relative error goes to the folder named by a system property.
 */
@State(Scope.Benchmark)
public class NativeKernelBenchmark {
    /** Largest relative error accepted against the float64 reference. */
    static final double TOLERANCE = 1e-4;

    @Param("Q4_0")
    public String type;

    /** Rows × cols (out × in). */
    @Param("2048x2048")
    public String shape;

    @Param("1")
    public int batch;

    @Param("2")
    public int threads;

    @Param("256")
    public int workingSetMb;

    /** Prefill with the register tile (its scratch) or one row at a time in scalar code: an A/B switch. */
    @Param("true")
    public boolean tile;

    /** Q4_0's decode copy ({@code DecodeLayout}): the batch copy, or the one-sequence quads. */
    @Param("BATCH")
    public String layout;

    private NativeMatmul matmul;

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape.split("x");
        matmul = new NativeMatmul(GgmlType.valueOf(type), Integer.parseInt(rc[0]), Integer.parseInt(rc[1]), batch, threads,
                workingSetMb * 1_000_000L, 42, tile, DecodeLayout.valueOf(layout));
        matmul.run();
        verify();
    }

    @Benchmark
    public float[] matmul() {
        return matmul.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        verify();
        String dir = System.getProperty(NativeKernels.CHECKS_PROPERTY);
        if (dir != null) {
            try {
                Files.writeString(Path.of(dir, NativeKernels.checkFile(type, shape, batch, tile, layout)), matmul.check() + " " + matmul.copies() + " " + matmul.threads() + " " + matmul.path());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        matmul.close();
    }

    private void verify() {
        double err = matmul.check();
        if (!(err <= TOLERANCE)) throw new IllegalStateException(type + " " + shape + " batch " + batch + ": relative error " + err + " against the scalar reference");
    }
}
