package io.backstop.engine.backend.gguf.file;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF version 3 files: typed metadata (the exact types llama.cpp expects, e.g. uint32 for
 * sizes), then the tensor table, then each tensor's bytes at an aligned offset. The file is written
 * to {@code NAME.partial} and moved into place when complete, so a reader never sees half a file.
 */
public final class GgufWriter {
    /** Writes exactly a tensor's bytes to the channel. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(FileChannel out) throws IOException;
    }

    private record Kv(GgufValueType type, GgufValueType element, Object value) {}

    private record Tensor(String name, GgmlType type, long[] dims, TensorData data) {
        long bytes() {
            long n = 1;
            for (long d : dims) n *= d;
            return type.bytesFor(n);
        }
    }

    private final Map<String, Kv> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final int alignment;

    public GgufWriter() {
        this(GgufFile.DEFAULT_ALIGNMENT);
    }

    public GgufWriter(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment must be a power of two");
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) uint32("general.alignment", alignment);
    }

    public GgufWriter string(String key, String v) { return put(key, GgufValueType.STRING, null, v); }
    public GgufWriter uint32(String key, long v) { return put(key, GgufValueType.UINT32, null, v); }
    public GgufWriter int32(String key, int v) { return put(key, GgufValueType.INT32, null, (long) v); }
    public GgufWriter uint64(String key, long v) { return put(key, GgufValueType.UINT64, null, v); }
    public GgufWriter float32(String key, float v) { return put(key, GgufValueType.FLOAT32, null, v); }
    public GgufWriter bool(String key, boolean v) { return put(key, GgufValueType.BOOL, null, v); }
    public GgufWriter strings(String key, String[] v) { return put(key, GgufValueType.ARRAY, GgufValueType.STRING, v.clone()); }
    public GgufWriter float32s(String key, float[] v) { return put(key, GgufValueType.ARRAY, GgufValueType.FLOAT32, v.clone()); }

    public GgufWriter int32s(String key, int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return put(key, GgufValueType.ARRAY, GgufValueType.INT32, l);
    }

    /** Copies a key with the type it has in another file (so llama.cpp reads it the same way). */
    public GgufWriter copy(String key, GgufMetadata from) {
        GgufMetadata.Type t = from.type(key);
        if (t == null) throw new IllegalArgumentException("no metadata key '" + key + "' to copy");
        if (t.element() == GgufValueType.ARRAY) throw new IllegalArgumentException("cannot copy '" + key + "': arrays of arrays");
        return put(key, t.value(), t.element(), from.get(key));
    }

    private GgufWriter put(String key, GgufValueType type, GgufValueType element, Object value) {
        metadata.put(key, new Kv(type, element, value));
        return this;
    }

    /** Adds a tensor; {@code dims} in ggml order (row length first). */
    public GgufWriter tensor(String name, GgmlType type, long[] dims, TensorData data) {
        if (dims.length < 1 || dims.length > 4) throw new IllegalArgumentException(name + ": 1 to 4 dimensions");
        if (dims[0] % type.blockSize() != 0) throw new IllegalArgumentException(name + ": row length " + dims[0] + " is not a multiple of " + type.blockSize());
        tensors.add(new Tensor(name, type, dims.clone(), data));
        return this;
    }

    /** Writes the file atomically (via {@code out.partial}). */
    public void write(Path out) {
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        try {
            try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                writeAll(ByteBuffer.wrap(header()), ch);
                for (Tensor t : tensors) {
                    pad(ch);
                    long before = ch.position();
                    t.data().writeTo(ch);
                    long written = ch.position() - before;
                    if (written != t.bytes()) throw new IllegalStateException(t.name() + ": wrote " + written + " bytes, expected " + t.bytes());
                }
                ch.force(false);
            }
            Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // the original error matters more
            }
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }

    private byte[] header() {
        Le b = new Le();
        b.i32(GgufFile.MAGIC).i32(3).i64(tensors.size()).i64(metadata.size());
        metadata.forEach((key, kv) -> {
            b.str(key).i32(kv.type().id());
            if (kv.type() == GgufValueType.ARRAY) array(b, kv.element(), kv.value());
            else scalar(b, kv.type(), kv.value());
        });
        long offset = 0;
        for (Tensor t : tensors) {
            b.str(t.name()).i32(t.dims().length);
            for (long d : t.dims()) b.i64(d);
            b.i32(t.type().id()).i64(offset);
            offset = alignUp(offset + t.bytes());
        }
        return b.bytes();
    }

    private static void array(Le b, GgufValueType element, Object value) {
        b.i32(element.id());
        switch (value) {
            case String[] a -> { b.i64(a.length); for (String s : a) b.str(s); }
            case float[] a -> { b.i64(a.length); for (float f : a) b.i32(Float.floatToRawIntBits(f)); }
            case double[] a -> { b.i64(a.length); for (double d : a) b.i64(Double.doubleToRawLongBits(d)); }
            case boolean[] a -> { b.i64(a.length); for (boolean x : a) b.u8(x ? 1 : 0); }
            case long[] a -> { b.i64(a.length); for (long x : a) scalar(b, element, x); }
            default -> throw new IllegalArgumentException("unsupported array value " + value.getClass());
        }
    }

    private static void scalar(Le b, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8, BOOL -> b.u8(v instanceof Boolean x ? (x ? 1 : 0) : (int) (long) (Long) v);
            case UINT16, INT16 -> b.i16((int) (long) (Long) v);
            case UINT32, INT32 -> b.i32((int) (long) (Long) v);
            case UINT64, INT64 -> b.i64((Long) v);
            case FLOAT32 -> b.i32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> b.i64(Double.doubleToRawLongBits((Double) v));
            case STRING -> b.str((String) v);
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not written");
        }
    }

    private void pad(FileChannel ch) throws IOException {
        long p = ch.position();
        long aligned = alignUp(p);
        if (aligned > p) writeAll(ByteBuffer.allocate((int) (aligned - p)), ch);
    }

    private long alignUp(long offset) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private static void writeAll(ByteBuffer buf, FileChannel ch) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** A little-endian byte builder for the header. */
    private static final class Le {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Le u8(int v) { out.write(v); return this; }
        Le i16(int v) { scratch.clear(); scratch.putShort((short) v); out.write(scratch.array(), 0, 2); return this; }
        Le i32(int v) { scratch.clear(); scratch.putInt(v); out.write(scratch.array(), 0, 4); return this; }
        Le i64(long v) { scratch.clear(); scratch.putLong(v); out.write(scratch.array(), 0, 8); return this; }

        Le str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
