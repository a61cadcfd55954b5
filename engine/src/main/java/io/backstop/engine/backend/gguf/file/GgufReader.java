package io.backstop.engine.backend.gguf.file;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a mapped GGUF file: header, metadata, tensor table. A cursor reads little-endian values and
 * checks each extent against the file's end first, so a truncated or lying file is refused with a
 * clear message instead of reading out of bounds.
 */
final class GgufReader {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** ggml's GGML_MAX_DIMS. */
    private static final int MAX_DIMS = 4;
    /** Nesting of arrays of arrays we accept (real files use none). */
    private static final int MAX_ARRAY_DEPTH = 4;

    record Parsed(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset) {}

    private final MemorySegment file;
    private final long size;
    private final GgufFile.Problems problems;
    private long pos;
    /** What is being read, for messages ("metadata key 'x'", "tensor 'blk.0.attn_q.weight'"). */
    private String context = "header";
    /** The element type of the top-level array being read, recorded with its key. */
    private GgufValueType arrayElementType;

    GgufReader(MemorySegment file, GgufFile.Problems problems) {
        this.file = file;
        this.size = file.byteSize();
        this.problems = problems;
    }

    Parsed read() {
        if (size < 4) throw problems.of("not a GGUF file: only " + size + " bytes");
        int magic = file.get(I32, 0);
        if (magic != GgufFile.MAGIC) throw problems.of("not a GGUF file: bad magic " + hex(magic) + " (expected 'GGUF')");
        pos = 4;
        int version = u32AsInt("version");
        if (version == 1) throw problems.of("GGUF version 1 is not supported (versions 2 and 3 are); convert the file with a recent llama.cpp");
        if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
            throw problems.of("big-endian GGUF files are not supported");
        }
        if (version != 2 && version != 3) throw problems.of("unsupported GGUF version " + Integer.toUnsignedString(version) + " (versions 2 and 3 are supported)");
        long tensorCount = u64("tensor count");
        long kvCount = u64("metadata count");
        // Each entry takes at least a key length and a type: a count the file cannot hold is a lie.
        if (kvCount < 0 || kvCount > (size - pos) / 12) throw problems.of("truncated or corrupt: metadata count " + Long.toUnsignedString(kvCount) + " does not fit in the file");
        if (tensorCount < 0 || tensorCount > (size - pos) / 24) throw problems.of("truncated or corrupt: tensor count " + Long.toUnsignedString(tensorCount) + " does not fit in the file");

        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, GgufMetadata.Type> types = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            context = "metadata entry " + i;
            String key = string();
            context = "metadata key '" + key + "'";
            GgufValueType type = valueType();
            arrayElementType = null;
            if (values.put(key, value(type, 0)) != null) throw problems.of("duplicate metadata key '" + key + "'");
            types.put(key, new GgufMetadata.Type(type, arrayElementType));
        }
        GgufMetadata metadata = new GgufMetadata(values, types, problems);
        int alignment = alignment(values.get("general.alignment"));

        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            context = "tensor entry " + i;
            String name = string();
            context = "tensor '" + name + "'";
            if (!names.add(name)) throw problems.of("duplicate tensor '" + name + "'");
            entries.add(tensorEntry(name));
        }
        context = "tensor data";
        long dataOffset = alignUp(pos, alignment);
        List<GgufTensorInfo> tensors = new ArrayList<>(entries.size());
        for (Entry e : entries) tensors.add(resolve(e, dataOffset, alignment));
        return new Parsed(version, metadata, tensors, alignment, dataOffset);
    }

    /** A tensor table entry before the data section's start is known. */
    private record Entry(String name, GgmlType type, long[] dims, long relativeOffset) {}

    private GgufTensorInfo resolve(Entry e, long dataOffset, int alignment) {
        String name = e.name();
        if (e.relativeOffset() % alignment != 0) {
            throw problems.of("tensor '" + name + "': data offset " + e.relativeOffset() + " is not a multiple of the alignment " + alignment);
        }
        long elements = 1;
        for (long d : e.dims()) elements *= d; // checked for overflow when read
        long bytes = e.type().bytesFor(elements);
        long start = dataOffset + e.relativeOffset();
        if (e.relativeOffset() < 0 || start < 0 || start > size || bytes > size - start) {
            throw problems.of("tensor '" + name + "': data (" + bytes + " bytes at offset " + Long.toUnsignedString(start)
                    + ") lies past the end of the file (" + size + " bytes); the file is truncated or corrupt");
        }
        return new GgufTensorInfo(name, e.type(), e.dims(), start, bytes, file.asSlice(start, bytes));
    }

    private Entry tensorEntry(String name) {
        long nDims = u32("dimension count");
        if (nDims < 1 || nDims > MAX_DIMS) throw problems.of("tensor '" + name + "': " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
        long[] dims = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            dims[d] = u64("dimension " + d);
            if (dims[d] <= 0) throw problems.of("tensor '" + name + "': dimension " + d + " is " + Long.toUnsignedString(dims[d]));
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw problems.of("tensor '" + name + "': shape overflows");
            }
        }
        long typeId = u32("type");
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) throw problems.of("tensor '" + name + "': unknown tensor type id " + typeId);
        if (dims[0] % type.blockSize() != 0) {
            throw problems.of("tensor '" + name + "': row length " + dims[0] + " is not a multiple of " + type + "'s block size " + type.blockSize());
        }
        long offset = u64("data offset");
        return new Entry(name, type, dims, offset);
    }

    private Object value(GgufValueType type, int depth) {
        return switch (type) {
            case UINT8 -> (long) Byte.toUnsignedInt(bytes(1).get(ValueLayout.JAVA_BYTE, 0));
            case INT8 -> (long) bytes(1).get(ValueLayout.JAVA_BYTE, 0);
            case UINT16 -> (long) Short.toUnsignedInt(bytes(2).get(I16, 0));
            case INT16 -> (long) bytes(2).get(I16, 0);
            case UINT32 -> u32("value");
            case INT32 -> (long) bytes(4).get(I32, 0);
            case FLOAT32 -> bytes(4).get(F32, 0);
            case BOOL -> bool();
            case STRING -> string();
            case UINT64, INT64 -> u64("value");
            case FLOAT64 -> bytes(8).get(F64, 0);
            case ARRAY -> array(depth);
        };
    }

    private Object array(int depth) {
        if (depth >= MAX_ARRAY_DEPTH) throw problems.of(context + ": arrays nested deeper than " + MAX_ARRAY_DEPTH);
        GgufValueType type = valueType();
        long count = u64("array length");
        if (count < 0 || count > (size - pos) / type.minBytes) {
            throw problems.of(context + ": array of " + Long.toUnsignedString(count) + " " + type + " values does not fit in the file (truncated or corrupt)");
        }
        if (count > Integer.MAX_VALUE - 8) throw problems.of(context + ": array of " + count + " values is too large");
        if (depth == 0) arrayElementType = type;
        int n = (int) count;
        switch (type) {
            case STRING -> {
                String[] out = new String[n];
                for (int i = 0; i < n; i++) out[i] = string();
                return out;
            }
            case FLOAT32 -> {
                float[] out = new float[n];
                MemorySegment s = bytes(4L * n);
                for (int i = 0; i < n; i++) out[i] = s.getAtIndex(F32, i);
                return out;
            }
            case FLOAT64 -> {
                double[] out = new double[n];
                MemorySegment s = bytes(8L * n);
                for (int i = 0; i < n; i++) out[i] = s.getAtIndex(F64, i);
                return out;
            }
            case BOOL -> {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) out[i] = bool();
                return out;
            }
            case ARRAY -> {
                Object[] out = new Object[n];
                for (int i = 0; i < n; i++) out[i] = array(depth + 1);
                return out;
            }
            default -> {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) out[i] = (Long) value(type, depth);
                return out;
            }
        }
    }

    private boolean bool() {
        byte b = bytes(1).get(ValueLayout.JAVA_BYTE, 0);
        if (b != 0 && b != 1) throw problems.of(context + ": boolean value " + b + " is neither 0 nor 1");
        return b == 1;
    }

    private GgufValueType valueType() {
        long id = u32("value type");
        GgufValueType t = GgufValueType.byId(id);
        if (t == null) throw problems.of(context + ": unknown metadata value type " + id);
        return t;
    }

    private String string() {
        long len = u64("string length");
        if (len < 0 || len > size - pos) throw problems.of(context + ": string of " + Long.toUnsignedString(len) + " bytes runs past the end of the file (truncated or corrupt)");
        if (len > Integer.MAX_VALUE - 8) throw problems.of(context + ": string of " + len + " bytes is too long");
        byte[] b = bytes(len).toArray(ValueLayout.JAVA_BYTE);
        return new String(b, StandardCharsets.UTF_8);
    }

    private long u32(String what) {
        return Integer.toUnsignedLong(bytes(4, what).get(I32, 0));
    }

    private int u32AsInt(String what) {
        return bytes(4, what).get(I32, 0);
    }

    private long u64(String what) {
        return bytes(8, what).get(I64, 0);
    }

    private MemorySegment bytes(long n) {
        return bytes(n, "value");
    }

    /** The next n bytes, after checking they lie inside the file. */
    private MemorySegment bytes(long n, String what) {
        if (n < 0 || n > size - pos) {
            throw problems.of("truncated at byte " + size + " while reading the " + what + " of " + context);
        }
        MemorySegment s = file.asSlice(pos, n);
        pos += n;
        return s;
    }

    private int alignment(Object value) {
        if (value == null) return GgufFile.DEFAULT_ALIGNMENT;
        if (!(value instanceof Long l) || l <= 0 || l > (1 << 30) || Long.bitCount(l) != 1) {
            throw problems.of("metadata 'general.alignment' must be a power of two, got " + value);
        }
        return (int) (long) l;
    }

    private static long alignUp(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }

}
