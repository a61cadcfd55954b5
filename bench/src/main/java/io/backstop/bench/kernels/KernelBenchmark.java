package io.backstop.bench.kernels;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH benchmark of one Jlama matrix product (see {@link MatmulCase}); run through {@link Kernels#run}, which sets
 * the params, mode (average time) and iterations. Every trial first checks the kernel's answer against a
 * plain-Java product ({@link MatmulCase#check()}) and leaves what it found, with the kernel implementation and
 * thread count it ran with, in the folder {@link Kernels} names in a system property.
 */
@State(Scope.Benchmark)
public class KernelBenchmark {
    /** Weight matrix rows x cols (out x in). */
    @Param("2048x2048")
    public String shape;

    /** Activation rows: 1 = decode, 64 = a prefill chunk. */
    @Param("1")
    public int batch;

    /** A {@link KernelDtype} name. */
    @Param("F32")
    public String dtype;

    /** Jlama compute threads; 0 = its default (physical cores). */
    @Param("0")
    public int threads;

    /** Weights rotated over copies totalling at least this many MB (0: one copy, cache-hot). */
    @Param("0")
    public int workingSetMb;

    private MatmulCase matmul;

    @Setup(Level.Trial)
    public void setup() {
        applyThreads(threads);
        matmul = MatmulCase.create(MatrixShape.parse(shape), batch, KernelDtype.parse(dtype), MatmulCase.SEED,
                workingSetMb * 1_000_000L);
        matmul.run();
        MatmulCase.Check check = matmul.check();
        String dir = System.getProperty(Kernels.CHECKS_PROPERTY);
        if (dir != null) {
            Properties p = new Properties();
            p.setProperty("checked", String.valueOf(check.checked()));
            p.setProperty("wrong", String.valueOf(check.wrong()));
            p.setProperty("relative_error", String.valueOf(check.relativeError()));
            p.setProperty("activations", matmul.activationType().name());
            p.setProperty("operations", TensorOperationsProvider.get().name());
            p.setProperty("threads", String.valueOf(PhysicalCoreExecutor.instance.get().getCoreCount()));
            p.setProperty("copies", String.valueOf(matmul.copies()));
            try (Writer w = Files.newBufferedWriter(Path.of(dir, Kernels.checkFile(shape, batch, dtype)))) {
                p.store(w, null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Benchmark
    public AbstractTensor matmul() {
        return matmul.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (matmul != null) matmul.close();
        matmul = null;
    }

    /** Sizes Jlama's PhysicalCoreExecutor before its first use; it cannot be resized once started. */
    static void applyThreads(int threads) {
        if (threads <= 0) return;
        try {
            PhysicalCoreExecutor.overrideThreadCount(threads);
        } catch (IllegalStateException e) {
            int running = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (running != threads) {
                throw new IllegalStateException("Jlama's executor already runs " + running + " threads in this JVM; "
                        + threads + " threads need a forked benchmark JVM (forks >= 1)", e);
            }
        }
    }
}
