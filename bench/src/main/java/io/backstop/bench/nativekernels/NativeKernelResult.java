package io.backstop.bench.nativekernels;

/**
 * One row of the native kernel table.
 *
 * @param nanosPerOp    JMH average time of one product
 * @param allocPerOp    bytes allocated per product (JMH's gc profiler, {@code gc.alloc.rate.norm}); NaN when not measured
 * @param tile          the A/B switch: scratch for the register tile (else one row at a time in scalar code) from {@code WeightTensor}'s fused limit on
 * @param path          the kernel path the product took at this batch ({@code WeightTensor.matmulPath})
 * @param relativeError largest error against the scalar reference, relative to Σ|w·x| of the row
 */
public record NativeKernelResult(String type, int rows, int cols, int batch, int threads, double nanosPerOp, double nanosError,
                                 long weightBytes, double allocPerOp, double relativeError, int copies, boolean tile, String path) {
    /** Weights streamed per second (GB = 10^9 bytes). */
    public double gbps() {
        return weightBytes / nanosPerOp;
    }

    public double gflops() {
        return 2.0 * rows * cols * batch / nanosPerOp;
    }
}
