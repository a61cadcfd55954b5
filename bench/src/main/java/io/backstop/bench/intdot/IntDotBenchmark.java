package io.backstop.bench.intdot;

import static io.backstop.bench.intdot.Shapes.BLOCK;
import static io.backstop.bench.intdot.Shapes.FLOAT_LE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Issue 14 experiment: can an INTEGER activation kernel (activations quantized to Q8 blocks of 32 once per
 * product, int8 × int8 products, one float multiply per block, as llama.cpp does with VNNI) beat the engine's
 * float kernels for Q8_0 and Q4_0 on C2, whose Vector API has no VPMADDUBSW/VPDPBUSD? One thread; weights in
 * the engine's repacked two-row layout (RowGroups), rotated over copies larger than the caches
 * ({@code workingSetMb}); every kernel checked against float64 of its own operands at setup. One kernel per
 * method, not one method choosing between variants per block: C2 compiles every path the profile has seen,
 * and a method with three variants went over its inlining budget and boxed the vectors (8× slower).
 * Kernels ({@link Q8Kernels}, {@link Q4Kernels}):
 * <ul>
 * <li>Q8_0 {@code float} (the engine's), {@code heap} (the same reading a heap byte[]), {@code int} (Vector
 *     API: int16 products of int8 weights and Q8 activations, pairs summed into ints), {@code swShort},
 *     {@code swByte} (plain loops for SuperWord's MulAddS2I → vpmaddwd, weights as row-major short[]/byte[]);
 * <li>Q4_0 {@code q4float} (the engine's), {@code q4heap}, {@code q4int} (two rows' nibbles in one 32-lane
 *     short vector), {@code q4fold} (float, activations pre-transformed so no mask is needed).
 * </ul>
 * Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * "bench/target/backstop-bench.jar:bench/target/lib/*" org.openjdk.jmh.Main IntDotBenchmark -prof gc}; on a
 * shared machine {@link IntDotRace} interleaves the kernels in one JVM instead.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class IntDotBenchmark {
    @Param({"float", "heap", "int", "swShort", "swByte", "q4float", "q4heap", "q4int", "q4fold"})
    public String kernel;

    /** Rows × cols (out × in). */
    @Param({"5632x2048", "2048x2048"})
    public String shape;

    @Param({"1", "4"})
    public int batch;

    @Param("64")
    public int workingSetMb;

    /** Whether each product prepares its activations (as a forward pass must), or only the setup (the kernel alone). */
    @Param("true")
    public boolean prepareEach;

    private int rows, cols, blocks, quantBytes, stride;
    /** The repacked weights, one per copy (native kernels); {@code [0]} also serves the check. */
    private MemorySegment[] packed;
    /** Heap kernels: the repacked layout as byte[] ({@code heap}) or row-major quants ({@code sw}), per copy. */
    private byte[][] heapBytes;
    private short[][] heapShorts;
    private float[][] heapScales;
    private int next, copies;
    private float[] out;
    private int[] pairSums;
    private Activations a;

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape.split("x");
        rows = Integer.parseInt(rc[0]);
        cols = Integer.parseInt(rc[1]);
        blocks = cols / BLOCK;
        quantBytes = kernel.startsWith("q4") ? BLOCK / 2 : BLOCK;
        stride = 2 * quantBytes + 8;
        long bytes = rows / 2L * blocks * stride;
        copies = (int) Math.max(1, Math.min(32, workingSetMb * 1_000_000L / bytes + 1));
        SplittableRandom r = new SplittableRandom(42);
        MemorySegment first = Arena.ofAuto().allocate(bytes, 64);
        for (long i = 0; i < bytes; i++) first.set(ValueLayout.JAVA_BYTE, i, (byte) (r.nextInt(255) - 127));
        for (int row = 0; row < rows; row++)
            for (int b = 0; b < blocks; b++) first.set(FLOAT_LE, scale(row, b), (float) (r.nextDouble() * 0.01));
        packed = new MemorySegment[kernel.endsWith("heap") || kernel.startsWith("sw") ? 1 : copies];
        for (int c = 0; c < packed.length; c++) packed[c] = c == 0 ? first : Arena.ofAuto().allocate(bytes, 64).copyFrom(first);
        if (kernel.endsWith("heap")) heapCopies(first);
        if (kernel.startsWith("sw")) rowMajorCopies(first);
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        a = new Activations(x, batch, cols);
        out = new float[batch * rows];
        pairSums = new int[cols / 2];
        boolean each = prepareEach;
        prepareEach = true;
        matmul();
        prepareEach = each;
        check();
    }

    private void heapCopies(MemorySegment first) {
        heapBytes = new byte[copies][];
        heapScales = new float[copies][];
        for (int c = 0; c < copies; c++) {
            heapBytes[c] = first.toArray(ValueLayout.JAVA_BYTE);
            float[] sc = new float[rows * blocks];
            for (int row = 0; row < rows; row++)
                for (int b = 0; b < blocks; b++) sc[((row >> 1) * blocks + b) * 2 + (row & 1)] = first.get(FLOAT_LE, scale(row, b));
            heapScales[c] = sc;
        }
    }

    private void rowMajorCopies(MemorySegment first) {
        boolean shorts = kernel.equals("swShort");
        heapBytes = new byte[copies][];
        heapShorts = new short[copies][];
        heapScales = new float[copies][];
        for (int c = 0; c < copies; c++) {
            float[] sc = new float[rows * blocks];
            short[] ws = shorts ? new short[rows * cols] : null;
            byte[] wb = shorts ? null : new byte[rows * cols];
            for (int row = 0; row < rows; row++) {
                for (int b = 0; b < blocks; b++) {
                    sc[row * blocks + b] = first.get(FLOAT_LE, scale(row, b));
                    for (int j = 0; j < BLOCK; j++) {
                        byte w = first.get(ValueLayout.JAVA_BYTE, quants(row, b) + j);
                        if (shorts) ws[row * cols + b * BLOCK + j] = w;
                        else wb[row * cols + b * BLOCK + j] = w;
                    }
                }
            }
            heapShorts[c] = ws;
            heapBytes[c] = wb;
            heapScales[c] = sc;
        }
    }

    private long quants(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + (long) (r & 1) * quantBytes;
    }

    private long scale(int r, int b) {
        return ((long) (r >> 1) * blocks + b) * stride + 2L * quantBytes + 4L * (r & 1);
    }

    @Benchmark
    public float[] matmul() {
        int c = next;
        next = next + 1 == copies ? 0 : next + 1;
        MemorySegment m = packed[c % packed.length];
        long st = stride;
        float[] x = a.x;
        switch (kernel) {
            case "float" -> {
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q8Kernels.floatTwoRows(m, quants(r, 0), scale(r, 0), st, blocks, x, t * cols, out, t * rows + r);
            }
            case "heap" -> {
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q8Kernels.heapTwoRows(heapBytes[c], heapScales[c], (int) quants(r, 0), r * blocks, stride, blocks, x, t * cols, out, t * rows + r);
            }
            case "int" -> {
                if (prepareEach) a.quantize();
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q8Kernels.intTwoRows(m, quants(r, 0), scale(r, 0), st, blocks, a, t, out, t * rows + r);
            }
            case "swShort", "swByte" -> {
                if (prepareEach) a.quantize();
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r++) {
                        if (heapShorts[c] != null) Q8Kernels.pairSums(heapShorts[c], r * cols, a.q8, t * cols, pairSums);
                        else Q8Kernels.pairSums(heapBytes[c], r * cols, a.q8, t * cols, pairSums);
                        out[t * rows + r] = Q8Kernels.scaleSums(pairSums, heapScales[c], r * blocks, a.q8Scale, t * blocks, blocks);
                    }
            }
            case "q4float" -> {
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q4Kernels.floatTwoRows(m, quants(r, 0), scale(r, 0), st, blocks, x, t * cols, out, t * rows + r);
            }
            case "q4heap" -> {
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q4Kernels.heapTwoRows(heapBytes[c], heapScales[c], (int) quants(r, 0), r * blocks, stride, blocks, x, t * cols, out, t * rows + r);
            }
            case "q4fold" -> {
                if (prepareEach) a.prepareFold();
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q4Kernels.foldTwoRows(m, quants(r, 0), scale(r, 0), st, blocks, a.fold, t * blocks * 3 * BLOCK, out, t * rows + r);
            }
            case "q4int" -> {
                if (prepareEach) {
                    a.quantize();
                    a.prepareQ4();
                }
                for (int t = 0; t < batch; t++)
                    for (int r = 0; r < rows; r += 2) Q4Kernels.intTwoRows(m, quants(r, 0), scale(r, 0), st, blocks, a, t, out, t * rows + r);
            }
            default -> throw new IllegalArgumentException("unknown kernel " + kernel);
        }
        return out;
    }

    /** The largest error of a sample of outputs relative to Σ|w·x| of float64 over the kernel's own operands (Q8 activations for the integer kernels). */
    double error() {
        boolean quantizedX = kernel.equals("int") || kernel.startsWith("sw") || kernel.equals("q4int");
        double worst = 0;
        for (int t = 0; t < batch; t++) {
            for (int row = 0; row < rows; row += Math.max(1, rows / 37)) {
                double sum = 0, abs = 0;
                for (int b = 0; b < blocks; b++) {
                    double dw = packed[0].get(FLOAT_LE, scale(row, b));
                    for (int j = 0; j < BLOCK; j++) {
                        int k = b * BLOCK + j;
                        double p = dw * weight(row, b, j) * (quantizedX ? a.quantized(t, k) : a.x[t * cols + k]);
                        sum += p;
                        abs += Math.abs(p);
                    }
                }
                worst = Math.max(worst, Math.abs(out[t * rows + row] - sum) / abs);
            }
        }
        return worst;
    }

    private void check() {
        double err = error();
        if (!(err < 1e-4)) throw new IllegalStateException(kernel + " " + shape + " batch " + batch + ": relative error " + err);
    }

    private int weight(int row, int b, int j) {
        if (quantBytes == BLOCK) return packed[0].get(ValueLayout.JAVA_BYTE, quants(row, b) + j);
        int v = Byte.toUnsignedInt(packed[0].get(ValueLayout.JAVA_BYTE, quants(row, b) + j % 16));
        return (j < 16 ? v & 15 : v >> 4) - 8;
    }
}
