package io.backstop.engine.backend.gguf.file;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a GGUF file.
 *
 * @param dims   sizes in ggml order: {@code dims[0]} is the row length (contiguous), then rows, …
 * @param offset byte offset of its data from the file's start
 * @param data   its bytes: a slice of the file's mapping, never a copy
 */
public record GgufTensorInfo(String name, GgmlType type, long[] dims, long offset, long byteSize, MemorySegment data) {
    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Values per row ({@code dims[0]}). */
    public long rowLength() {
        return dims[0];
    }

    /** Number of rows: every dimension but the first. */
    public long rows() {
        return elements() / dims[0];
    }

    /** The shape as llama.cpp prints it, e.g. {@code [2048, 32000]}. */
    public String shape() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) b.append(i == 0 ? "" : ", ").append(dims[i]);
        return b.append(']').toString();
    }
}
