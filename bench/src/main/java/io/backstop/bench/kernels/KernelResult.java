package io.backstop.bench.kernels;

/**
 * One measured product.
 *
 * @param shape weight matrix, rows x cols (out x in)
 * @param batch activation rows
 * @param dtype the {@link KernelDtype} name
 * @param weights weight dtype
 * @param activations activation dtype the kernel multiplied with
 * @param nanosPerOp mean time of one product (JMH average time)
 * @param nanosError JMH's 99.9% confidence half-width (NaN with a single iteration)
 * @param gflops 2·rows·cols·batch / time
 * @param gbps weight bytes (incl. Q4 block scales) / time: effective weight bandwidth
 * @param weightBytes bytes of weights one product reads
 * @param operations Jlama's kernel implementation ("Native SIMD Operations", "Panama Vector Operations")
 * @param threads Jlama compute threads
 * @param weightCopies copies of the weights the products rotated over (1: cache-hot)
 * @param outputsChecked outputs compared with a plain-Java product before timing (0: no check ran)
 * @param outputsWrong of those, the ones the kernel got wrong
 * @param checkError relative L2 error of the compared outputs
 */
public record KernelResult(String shape, int rows, int cols, int batch, String dtype, String weights, String activations,
                           double nanosPerOp, double nanosError, double gflops, double gbps, long weightBytes,
                           String operations, int threads, int weightCopies, long outputsChecked, long outputsWrong, double checkError) {
    /** True when the kernel's answer was checked and right. */
    public boolean correct() {
        return outputsChecked > 0 && outputsWrong == 0 && checkError <= 1e-3;
    }

    static KernelResult of(MatrixShape s, int batch, KernelDtype d, double nanos, double error, String activations,
                           String operations, int threads, int copies, long checked, long wrong, double checkError) {
        long bytes = d.weightBytes(s.rows(), s.cols());
        double flops = (double) s.flopsPerRow() * batch;
        return new KernelResult(s.toString(), s.rows(), s.cols(), batch, d.name(), d.weights().name(), activations,
                nanos, error, flops / nanos, bytes / nanos, bytes, operations, threads, copies, checked, wrong, checkError);
    }
}
