package io.backstop.bench.kernels;

import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;

/** A weight matrix shape, rows × cols = out × in, written {@code 2048x5632}. */
public record MatrixShape(int rows, int cols) {
    public MatrixShape {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("shape must be positive: " + rows + "x" + cols);
        if (cols % Q8ByteBufferTensor.BLOCK_SIZE != 0) {
            // Jlama quantizes activations (to BF16 or I8) in blocks of 32, and Q4 weights are stored in blocks of 32.
            throw new IllegalArgumentException("shape " + rows + "x" + cols + ": the input dimension must be a multiple of "
                    + Q8ByteBufferTensor.BLOCK_SIZE);
        }
    }

    public static MatrixShape parse(String s) {
        String[] p = s.trim().toLowerCase(java.util.Locale.ROOT).split("[x×*]");
        if (p.length != 2) throw new IllegalArgumentException("shape '" + s + "' is not ROWSxCOLS (e.g. 2048x5632)");
        try {
            return new MatrixShape(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shape '" + s + "' is not ROWSxCOLS (e.g. 2048x5632)");
        }
    }

    /** Multiply-adds times two, per activation row. */
    public long flopsPerRow() {
        return 2L * rows * cols;
    }

    @Override
    public String toString() {
        return rows + "x" + cols;
    }
}
