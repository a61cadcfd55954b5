package io.backstop.bench.kernels;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.BFloat16BufferTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.tensor.TensorShape;
import com.github.tjake.jlama.util.UnsafeDirectByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * One matrix product as Jlama's model code runs it: weights {@code rows × cols} (out × in), activations
 * {@code batch × cols}, result {@code batch × rows} in F32 working memory, computed by
 * {@code VectorMath.pchunk(0, rows, (start, n) -> dotProductChunk(result, input, weights, 0, cols, start, n))}
 * on Jlama's PhysicalCoreExecutor — the call MLPBlock, CausalSelfAttention and the logits use.
 *
 * <p>Weights are seeded Gaussians (σ 0.02, like an initialised LLM layer), built in F32 and converted the way
 * Jlama's loader/quantizer would (BF16: round-to-nearest-even as Hugging Face checkpoints are; Q4: Jlama's own
 * {@link Q4ByteBufferTensor} quantizer). Activations are σ 1 Gaussians, quantized once up front with
 * {@code TensorOperationsProvider.get().quantize(...)} like the model's {@code maybeQuantize}; that cost is not
 * part of the timed product. Optionally the product rotates over several copies of the weights, so that they are
 * read from memory rather than cache, as in a model too big for the caches.
 */
public final class MatmulCase implements AutoCloseable {
    public static final long SEED = 42;
    static final float WEIGHT_STD = 0.02f;

    private final MatrixShape shape;
    private final int batch;
    private final KernelDtype dtype;
    private final TensorOperations ops;
    private final AbstractTensor[] copies;
    private final FloatBufferTensor activations;
    private final AbstractTensor input;
    private final FloatBufferTensor result;
    private int next;
    private AbstractTensor weights;

    private MatmulCase(MatrixShape shape, int batch, KernelDtype dtype, AbstractTensor[] copies,
                       FloatBufferTensor activations, AbstractTensor input) {
        this.shape = shape;
        this.batch = batch;
        this.dtype = dtype;
        this.ops = TensorOperationsProvider.get();
        this.copies = copies;
        this.weights = copies[0];
        this.activations = activations;
        this.input = input;
        this.result = new FloatBufferTensor(batch, shape.rows());
    }

    /** One copy of the weights: after the first product they are as hot in the caches as they fit. */
    public static MatmulCase create(MatrixShape shape, int batch, KernelDtype dtype, long seed) {
        return create(shape, batch, dtype, seed, 0);
    }

    /**
     * With {@code workingSetBytes > 0}, enough copies of the weights to total at
     * least that many bytes; {@link #run()} takes them in turn, so with a working set several times the
     * last-level cache each product reads its weights from memory, as decoding a real model does.
     */
    public static MatmulCase create(MatrixShape shape, int batch, KernelDtype dtype, long seed, long workingSetBytes) {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive: " + batch);
        long bytes = dtype.weightBytes(shape.rows(), shape.cols());
        int n = (int) Math.max(1, Math.min(4096, (workingSetBytes + bytes - 1) / bytes));
        AbstractTensor[] copies = new AbstractTensor[n];
        copies[0] = makeWeights(shape, dtype.weights(), seed);
        for (int i = 1; i < n; i++) {
            if (dtype.weights() == DType.Q4) {
                // Jlama's Q4 quantizer is slow; a byte copy is as good for the caches.
                copies[i] = copies[0].copyShape();
                copies[i].copyFrom(copies[0], 0, 0, Math.toIntExact(copies[0].size()));
            } else {
                copies[i] = makeWeights(shape, dtype.weights(), seed + 7919L * i);
            }
        }
        FloatBufferTensor act = f32(batch, shape.cols(), r -> activationRow(seed, r, shape.cols()));
        DType actType = dtype.activations(shape.cols());
        AbstractTensor in = act;
        if (actType != DType.F32) {
            in = TensorOperationsProvider.get().quantize(act, actType, 0, shape.cols());
            if (in.dType() != actType) {
                throw new IllegalStateException("Jlama quantized the activations to " + in.dType() + ", not " + actType);
            }
        }
        return new MatmulCase(shape, batch, dtype, copies, act, in);
    }

    /** The timed operation: one product, with the next copy of the weights. */
    public AbstractTensor run() {
        int cols = shape.cols();
        AbstractTensor w = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        weights = w;
        VectorMath.pchunk(0, shape.rows(), (start, n) -> ops.dotProductChunk(result, input, w, 0, cols, start, n));
        return result;
    }

    /** Copies of the weights {@link #run()} rotates over. */
    public int copies() {
        return copies.length;
    }

    public MatrixShape shape() {
        return shape;
    }

    public int batch() {
        return batch;
    }

    public KernelDtype dtype() {
        return dtype;
    }

    public DType activationType() {
        return input.dType();
    }

    /** Row {@code b} of the last result (one value per weight row). */
    public float[] output(int b) {
        float[] out = new float[shape.rows()];
        for (int r = 0; r < out.length; r++) out[r] = result.get(b, r);
        return out;
    }

    /**
     * What {@link #check()} found.
     *
     * @param checked outputs compared
     * @param wrong outputs off by more than float rounding allows (never written, NaN, …)
     * @param relativeError relative L2 error over the compared outputs
     */
    public record Check(long checked, long wrong, double relativeError) {
        public boolean ok() {
            return wrong == 0 && relativeError <= 1e-3;
        }
    }

    /**
     * Compares the last result (of the weights {@link #run()} last used) with a double-precision product of the
     * very values the kernel was given (weights and activations as Jlama dequantizes them), which isolates the
     * kernel from the quantization error: only float summation order separates a correct kernel from it. Every
     * weight row is compared, for the first two and the last ten batch rows (tiled kernels handle the tail rows
     * of a batch separately).
     */
    public Check check() {
        int cols = shape.cols();
        int[] bs = IntStream.range(0, batch).filter(b -> b < 2 || b >= batch - 10).toArray();
        double[][] a = new double[bs.length][cols];
        for (int i = 0; i < bs.length; i++) {
            for (int k = 0; k < cols; k++) a[i][k] = input.get(bs[i], k);
        }
        double[] sums = IntStream.range(0, shape.rows()).parallel().mapToObj(r -> {
            // Through a row slice: Q4ByteBufferTensor.get(r, k) computes its block index in float and reads out of
            // bounds past 2^24 elements (e.g. 32000x2048); the slice keeps indices small.
            AbstractTensor row = weights.slice(r);
            double[] w = new double[cols];
            for (int k = 0; k < cols; k++) w[k] = row.get(0, k);
            double wrong = 0, err = 0, ref = 0;
            for (int i = 0; i < bs.length; i++) {
                double expected = 0, magnitude = 0;
                for (int k = 0; k < cols; k++) {
                    double p = w[k] * a[i][k];
                    expected += p;
                    magnitude += Math.abs(p);
                }
                double got = result.get(bs[i], r);
                double d = got - expected;
                if (!(Math.abs(d) <= 1e-4 * magnitude + 1e-30)) wrong++;
                err += Double.isFinite(d) ? d * d : Double.POSITIVE_INFINITY;
                ref += expected * expected;
            }
            return new double[] {wrong, err, ref};
        }).reduce(new double[3], (x, y) -> new double[] {x[0] + y[0], x[1] + y[1], x[2] + y[2]});
        return new Check((long) shape.rows() * bs.length, (long) sums[0], Math.sqrt(sums[1] / Math.max(sums[2], Double.MIN_NORMAL)));
    }

    /** The result tensor (tests damage it to see {@link #check()} notice). */
    FloatBufferTensor result() {
        return result;
    }

    @Override
    public void close() {
        if (input != activations) input.close();
    }

    /** Row {@code r} of the F32 weights every dtype starts from. */
    public static float[] weightRow(long seed, int r, int cols) {
        return gaussians(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + r), cols, WEIGHT_STD);
    }

    /** Row {@code b} of the F32 activations. */
    public static float[] activationRow(long seed, int b, int cols) {
        return gaussians(new SplittableRandom(~seed * 0xC2B2AE3D27D4EB4FL + b), cols, 1f);
    }

    private static float[] gaussians(SplittableRandom rnd, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian() * std;
        return v;
    }

    private static AbstractTensor makeWeights(MatrixShape s, DType type, long seed) {
        int rows = s.rows(), cols = s.cols();
        return switch (type) {
            case F32 -> f32(rows, cols, r -> weightRow(seed, r, cols));
            case BF16 -> {
                // Direct, cache-line aligned, native order: what Jlama's own tensors use and its native kernels need.
                ShortBuffer buf = UnsafeDirectByteBuffer.allocateAlignedByteBuffer(Math.multiplyExact(rows, cols) * 2,
                        UnsafeDirectByteBuffer.CACHE_LINE_SIZE).asShortBuffer();
                IntStream.range(0, rows).parallel().forEach(r -> {
                    float[] f = weightRow(seed, r, cols);
                    short[] h = new short[cols];
                    for (int k = 0; k < cols; k++) h[k] = toBFloat16(f[k]);
                    buf.put(r * cols, h);
                });
                yield new BFloat16BufferTensor("weights", buf, TensorShape.of(rows, cols), true);
            }
            case Q4 -> new Q4ByteBufferTensor(f32(rows, cols, r -> weightRow(seed, r, cols)));
            default -> throw new IllegalArgumentException("weights of type " + type);
        };
    }

    private static FloatBufferTensor f32(int rows, int cols, java.util.function.IntFunction<float[]> row) {
        FloatBuffer buf = UnsafeDirectByteBuffer.allocateAlignedByteBuffer(Math.multiplyExact(Math.multiplyExact(rows, cols), Float.BYTES),
                UnsafeDirectByteBuffer.CACHE_LINE_SIZE).asFloatBuffer();
        IntStream.range(0, rows).parallel().forEach(r -> buf.put(r * cols, row.apply(r)));
        return new FloatBufferTensor("bench", buf, TensorShape.of(rows, cols), true);
    }

    /** F32 → BF16 with round-to-nearest-even (as PyTorch writes BF16 checkpoints). */
    static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
