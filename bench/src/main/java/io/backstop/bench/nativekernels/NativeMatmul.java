package io.backstop.bench.nativekernels;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.quant.Quantizer;
import io.backstop.engine.backend.gguf.tensor.DecodeLayout;
import io.backstop.engine.backend.gguf.tensor.WeightTensor;
import io.backstop.engine.backend.gguf.tensor.WeightTensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * One matrix product of the native engine as a forward pass runs it: a weight tensor of one GGUF type in
 * off-heap memory (as a mapped file is), {@code batch} F32 activation rows, the rows split into chunks
 * that the {@link ComputePool} members claim. The weights are copied until they fill a working set far
 * larger than the caches and the copies are used in turn, so each product streams its weights from memory
 * as decoding does. Allocates nothing per product.
 */
final class NativeMatmul implements AutoCloseable {
    /** Rows per chunk unit, as the forward pass (a quad of Q4_0's one-sequence copy: 64). */
    private static final int GRAIN = 16, QUAD_GRAIN = 64;
    private static final int CHUNKS_PER_THREAD = 8;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final GgmlType type;
    final int rows, cols, batch;
    private final Arena arena = Arena.ofShared();
    private final WeightTensor[] copies;
    private final ComputePool pool;
    private final float[] x, out;
    private final float[][] scratch;
    private final ComputePool.Task task;
    private final int grain;
    private int next;
    private WeightTensor current;

    NativeMatmul(GgmlType type, int rows, int cols, int batch, int threads, long workingSetBytes, long seed, boolean tile, DecodeLayout layout) {
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.batch = batch;
        MemorySegment first = encode(type, rows, cols, seed, arena);
        int n = (int) Math.max(1, Math.min(64, (workingSetBytes + first.byteSize() - 1) / first.byteSize()));
        copies = new WeightTensor[n];
        for (int i = 0; i < n; i++) {
            MemorySegment data = i == 0 ? first : arena.allocate(first.byteSize(), 64).copyFrom(first);
            copies[i] = WeightTensors.of(type, type + "-" + i, data, rows, cols, layout);
        }
        pool = ComputePool.shared(threads);
        SplittableRandom r = new SplittableRandom(seed + 1);
        x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        out = new float[batch * rows];
        scratch = new float[pool.size()][tile ? WeightTensor.scratchFloats(cols) : cols]; // room for the prefill tile
        current = copies[0];
        grain = layout == DecodeLayout.ONE_SEQUENCE ? QUAD_GRAIN : GRAIN;
        boolean decode = batch < WeightTensor.TILE_FROM; // below the tile a batch is a decode step's, above a prompt's
        task = (chunk, chunks, worker) -> current.matmul(x, batch, decode, out, 0, rows, ComputePool.start(rows, chunk, chunks, grain),
                ComputePool.end(rows, chunk, chunks, grain), false, scratch[worker]);
    }

    /** One product, on the next copy of the weights. */
    float[] run() {
        current = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        pool.lock().lock();
        try {
            pool.run(task, Math.max(1, Math.min((rows + grain - 1) / grain, CHUNKS_PER_THREAD * pool.size())));
        } finally {
            pool.lock().unlock();
        }
        return out;
    }

    /** The kernel path {@link WeightTensor#matmul} takes for this batch and scratch ({@link WeightTensor#decodePath} below the tile, else {@link WeightTensor#matmulPath}). */
    String path() {
        return batch < WeightTensor.TILE_FROM ? copies[0].decodePath(batch, scratch[0].length) : copies[0].matmulPath(batch, scratch[0].length);
    }

    int copies() {
        return copies.length;
    }

    int threads() {
        return pool.size();
    }

    long weightBytes() {
        return copies[0].byteSize();
    }

    /**
     * Checks the last product against the scalar reference ({@link WeightTensor#referenceDot}, float64 from
     * the type's literal dequantization) on rows spread over the matrix, for every token.
     *
     * @return the largest error relative to Σ|w·x| of its row (float rounding of a long sum stays far below 1e-4)
     */
    double check() {
        WeightTensor w = current;
        float[] row = new float[cols];
        double worst = 0;
        for (int r = 0; r < rows; r += Math.max(1, rows / 61)) {
            w.dequantizeRow(r, row, 0);
            for (int t = 0; t < batch; t++) {
                double abs = 0, rounding = 0;
                for (int j = 0; j < cols; j++) abs += Math.abs((double) row[j] * x[t * cols + j]);
                if (w.roundsActivations() && batch < WeightTensor.TILE_FROM) rounding = activationRounding(row, x, t * cols);
                double err = Math.max(Math.abs(out[t * rows + r] - w.referenceDot(r, x, t * cols)) - rounding, 0) / Math.max(abs, 1e-30);
                worst = Math.max(worst, err);
            }
        }
        return worst;
    }

    /** How far the row's product may move with its activations rounded to 8 bits per 32 ({@link WeightTensor#roundsActivations}). */
    private double activationRounding(float[] row, float[] x, int xOff) {
        double bound = 0;
        for (int b = 0; b < cols; b += 32) {
            double amax = 0, weights = 0;
            for (int k = b; k < b + 32; k++) {
                amax = Math.max(amax, Math.abs(x[xOff + k]));
                weights += Math.abs(row[k]);
            }
            bound += amax / 254 * weights;
        }
        return bound * (1 + 1e-6);
    }

    /** Random weights in (-1, 1) encoded as {@code type}: F32/F16/BF16 directly, the quantized types by the bit-exact quantizers. */
    static MemorySegment encode(GgmlType type, int rows, int cols, long seed, Arena arena) {
        long rowBytes = type.bytesFor(cols);
        MemorySegment seg = arena.allocate(rowBytes * rows, 64);
        Quantizer q = switch (type) {
            case F32, F16, BF16 -> null;
            default -> Quantizer.of(type);
        };
        float[] v = new float[cols];
        byte[] b = new byte[(int) rowBytes];
        SplittableRandom random = new SplittableRandom(seed);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) v[j] = (float) (random.nextDouble() * 2 - 1);
            long at = r * rowBytes;
            if (q != null) {
                q.quantize(v, 0, cols, b, 0);
                MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, at, b.length);
                continue;
            }
            for (int j = 0; j < cols; j++) {
                switch (type) {
                    case F32 -> seg.set(F32, at + 4L * j, v[j]);
                    case F16 -> seg.set(U16, at + 2L * j, Float.floatToFloat16(v[j]));
                    default -> seg.set(U16, at + 2L * j, (short) (Float.floatToRawIntBits(v[j]) >>> 16));
                }
            }
        }
        return seg;
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
    }
}
