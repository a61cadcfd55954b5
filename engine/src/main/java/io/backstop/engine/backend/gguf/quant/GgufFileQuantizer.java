package io.backstop.engine.backend.gguf.quant;

import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufMetadata;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import io.backstop.engine.backend.gguf.file.GgufWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Quantizes a GGUF file (F32, F16 or BF16 weights) into a new GGUF file with one of llama.cpp's default
 * mixes, writing what {@code llama-quantize} writes: the source's metadata in its order with
 * {@code general.quantization_version} and {@code general.file_type} moved to the end, the tensors in
 * llama.cpp's order (by layer, then by name), 1-D tensors unchanged, and each weight's blocks from the
 * bit-exact {@link Quantizer}s. So the file loads in llama.cpp and, for the same source, is the same file.
 */
public final class GgufFileQuantizer {
    /** The {@code --type} names a GGUF source can be quantized to. */
    public static final List<String> TYPES = List.of("Q8_0", "Q4_0", "Q4_K_M", "F16");
    private static final Set<GgmlType> SOURCE_TYPES = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);
    /** Keys llama-quantize rewrites (moved last) or drops (split files; our writer sets its own alignment). */
    private static final Set<String> REWRITTEN = Set.of("general.quantization_version", "general.file_type", "general.alignment",
            "split.no", "split.count", "split.tensors.count");
    /** Rows quantized per parallel task. */
    private static final int CHUNK_ROWS = 64;

    private GgufFileQuantizer() {}

    /**
     * The mix a {@code --type} names for a GGUF source.
     *
     * @throws InvalidRequestException (field {@code type}) for a type not offered
     */
    public static QuantMix mix(String type) {
        String t = type.strip().toUpperCase(Locale.ROOT);
        if (!TYPES.contains(t)) {
            throw new InvalidRequestException("type", "unknown quantization '" + type + "' for a GGUF source; supported: " + String.join(", ", TYPES));
        }
        return QuantMix.valueOf(t);
    }

    /**
     * Writes {@code target} (atomically) from {@code source}.
     *
     * @throws InvalidRequestException when the source holds already quantized weights or the target exists
     */
    public static Path quantize(Path source, Path target, QuantMix mix) {
        if (Files.exists(target)) throw new InvalidRequestException("output", "output " + target + " already exists; choose another --output");
        try (GgufFile in = GgufFile.open(source)) {
            GgufMetadata meta = in.metadata();
            if (meta.integer("split.count", 1) > 1) throw new InvalidRequestException("model", source + " is one part of a split GGUF model; merge it first");
            String arch = meta.string("general.architecture", "");
            int layers = meta.int32(arch + ".block_count", 0);
            boolean tied = in.tensor("output.weight") == null;
            for (GgufTensorInfo t : in.tensors()) {
                if (quantizable(t) && !SOURCE_TYPES.contains(t.type())) {
                    throw new InvalidRequestException("model", source.getFileName() + " is already quantized (" + t.name() + " is " + t.type()
                            + "); quantize from an F32, F16 or BF16 GGUF file");
                }
            }
            GgufWriter w = new GgufWriter();
            for (String key : meta.keys()) if (!REWRITTEN.contains(key)) w.copy(key, meta);
            w.uint32("general.quantization_version", 2).uint32("general.file_type", mix.fileType());
            List<GgufTensorInfo> ordered = new ArrayList<>(in.tensors());
            ordered.sort(Comparator.comparingInt((GgufTensorInfo t) -> layerOf(t.name())).thenComparing(GgufTensorInfo::name, GgufFileQuantizer::byBytes));
            for (GgufTensorInfo t : ordered) {
                boolean output = t.name().equals("output.weight") || (tied && t.name().equals("token_embd.weight"));
                GgmlType type = quantizable(t) ? mix.typeFor(t.name(), output, layerOf(t.name()), layers, t.rowLength()) : t.type();
                w.tensor(t.name(), type, t.dims(), ch -> write(t, type, ch));
            }
            if (target.getParent() != null) Files.createDirectories(target.getParent());
            w.write(target);
            return target;
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ModelLoadException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** llama.cpp's rule: 2-D (or more) weights, except the few it never quantizes. */
    static boolean quantizable(GgufTensorInfo t) {
        String n = t.name();
        return t.dims().length >= 2 && n.endsWith("weight") && !n.contains("ffn_gate_inp") && !n.contains("pos_embd")
                && !n.contains("token_types") && !n.contains("ssm_conv1d");
    }

    /** The block of a {@code blk.N.} tensor, -1 for the others (llama.cpp's sscanf("blk.%d.")). */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int end = name.indexOf('.', 4);
        try {
            return Integer.parseInt(name.substring(4, end < 0 ? name.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** std::string's order: unsigned bytes. */
    private static int byBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8), b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void write(GgufTensorInfo t, GgmlType type, FileChannel ch) throws IOException {
        MemorySegment data = t.data();
        if (type == t.type()) {
            ByteBuffer b = data.asByteBuffer();
            while (b.hasRemaining()) ch.write(b);
            return;
        }
        int cols = (int) t.rowLength();
        long rows = t.rows();
        int rowBytes = (int) type.bytesFor(cols);
        Quantizer q = type == GgmlType.F16 ? null : Quantizer.of(type);
        int batch = 16 * CHUNK_ROWS;
        byte[] out = new byte[(int) Math.min(rows, batch) * rowBytes];
        for (long r0 = 0; r0 < rows; r0 += batch) {
            long start = r0;
            int n = (int) Math.min(batch, rows - r0);
            IntStream.range(0, (n + CHUNK_ROWS - 1) / CHUNK_ROWS).parallel().forEach(c -> {
                float[] row = new float[cols];
                for (int r = c * CHUNK_ROWS; r < Math.min(n, (c + 1) * CHUNK_ROWS); r++) {
                    decode(t.type(), data, (start + r) * cols, row);
                    if (q != null) q.quantize(row, 0, cols, out, r * rowBytes);
                    else toF16(row, out, r * rowBytes);
                }
            });
            ByteBuffer b = ByteBuffer.wrap(out, 0, n * rowBytes);
            while (b.hasRemaining()) ch.write(b);
        }
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One row of a float tensor, exactly (F16 and BF16 widen without rounding). */
    static void decode(GgmlType type, MemorySegment data, long first, float[] row) {
        for (int i = 0; i < row.length; i++) {
            long at = first + i;
            row[i] = switch (type) {
                case F32 -> data.getAtIndex(F32, at);
                case F16 -> Float.float16ToFloat(data.getAtIndex(U16, at));
                case BF16 -> Float.intBitsToFloat(data.getAtIndex(U16, at) << 16);
                default -> throw new IllegalStateException(type.toString());
            };
        }
    }

    /** Round to nearest even, as ggml's {@code GGML_FP32_TO_FP16}. */
    private static void toF16(float[] row, byte[] out, int off) {
        for (int i = 0; i < row.length; i++) {
            short h = Float.floatToFloat16(row[i]);
            out[off + 2 * i] = (byte) h;
            out[off + 2 * i + 1] = (byte) (h >> 8);
        }
    }
}
