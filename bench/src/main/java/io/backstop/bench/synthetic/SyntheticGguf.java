package io.backstop.bench.synthetic;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.file.GgufWriter;
import io.backstop.engine.backend.gguf.quant.QuantMix;
import io.backstop.engine.backend.gguf.quant.Quantizer;
import io.backstop.engine.hub.ConsoleProgress;
import io.backstop.engine.hub.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Writes a random-weights GGUF model of a shape for the native engine, quantized in Java with
 * llama.cpp's own block layouts and default type mixes ({@link QuantMix}), so llama.cpp's
 * {@code llama-bench} can run the very same file. Values are drawn like {@link SyntheticModel}'s
 * (uniform ±0.05, norms 1, biases 0, zero output rows for the special tokens so greedy decoding never
 * stops early); the vocabulary is the same byte-fallback SentencePiece one. Cached by shape and mix.
 */
public final class SyntheticGguf {
    private static final long SEED = 42;
    /** Rows quantized per parallel chunk. */
    private static final int CHUNK_ROWS = 256;

    private SyntheticGguf() {}

    /** The mixes a bench can ask for, by their names on the command line. */
    public static QuantMix mix(String dtype) {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f16" -> QuantMix.F16;
            case "q8_0" -> QuantMix.Q8_0;
            case "q4_0" -> QuantMix.Q4_0;
            case "q4_k_m" -> QuantMix.Q4_K_M;
            default -> null;
        };
    }

    /**
     * {@link #ensure} for a shape and a mix named on the command line, in {@code cache} or, when null,
     * {@code <backstop>/bench/models}, with progress on stderr.
     *
     * @throws IllegalArgumentException naming the unknown --shape or --dtype and the known ones
     */
    public static Path ensureNamed(String shape, String dtype, Path cache) throws IOException {
        Shape s = Shape.NAMED.get(shape);
        if (s == null) throw new IllegalArgumentException("unknown --shape '" + shape + "' (one of " + String.join(", ", Shape.NAMED.keySet()) + ")");
        QuantMix mix = mix(dtype);
        if (mix == null) throw new IllegalArgumentException("unknown --dtype '" + dtype + "' (f16, q8_0, q4_0, q4_k_m)");
        Path c = cache != null ? cache : Path.of(System.getProperty("backstop.home", "."), "bench", "models");
        return ensure(s, mix, c, ConsoleProgress.toStderr());
    }

    /** The cached file for a shape and mix, written first when missing. */
    public static Path ensure(Shape s, QuantMix mix, Path cache, ProgressListener progress) throws IOException {
        Path file = cache.resolve(s.name() + "-" + mix.name().toLowerCase(Locale.ROOT) + ".gguf");
        if (Files.isRegularFile(file)) return file;
        Files.createDirectories(cache);
        GgufWriter w = new GgufWriter();
        metadata(w, s, mix);
        List<Tensor> tensors = tensors(s, mix);
        long total = tensors.stream().mapToLong(t -> t.type.bytesFor((long) t.rows * t.cols)).sum();
        String label = file.getFileName().toString();
        progress.fileStarted(label, total);
        AtomicLong written = new AtomicLong();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            long seed = SEED * 1_000_003L + i;
            long[] dims = t.rows == 1 ? new long[] {t.cols} : new long[] {t.cols, t.rows};
            w.tensor(t.name, t.type, dims, ch -> {
                write(t, seed, ch);
                progress.bytesTransferred(label, written.addAndGet(t.type.bytesFor((long) t.rows * t.cols)), total);
            });
        }
        w.write(file);
        progress.fileFinished(label, written.get(), false);
        return file;
    }

    private record Tensor(String name, GgmlType type, int rows, int cols, Kind kind, int zeroRows) {}

    private enum Kind { WEIGHT, NORM, BIAS }

    private static List<Tensor> tensors(Shape s, QuantMix mix) {
        List<Tensor> t = new ArrayList<>();
        boolean qwen = s.arch().equals("qwen2");
        int h = s.hidden(), kv = s.kvDim();
        t.add(weight(mix, s, "token_embd.weight", -1, s.vocab(), h, s.tied(), s.tied() ? 3 : 0));
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            t.add(new Tensor(p + "attn_norm.weight", GgmlType.F32, 1, h, Kind.NORM, 0));
            t.add(weight(mix, s, p + "attn_q.weight", l, h, h, false, 0));
            t.add(weight(mix, s, p + "attn_k.weight", l, kv, h, false, 0));
            t.add(weight(mix, s, p + "attn_v.weight", l, kv, h, false, 0));
            if (qwen) {
                t.add(new Tensor(p + "attn_q.bias", GgmlType.F32, 1, h, Kind.BIAS, 0));
                t.add(new Tensor(p + "attn_k.bias", GgmlType.F32, 1, kv, Kind.BIAS, 0));
                t.add(new Tensor(p + "attn_v.bias", GgmlType.F32, 1, kv, Kind.BIAS, 0));
            }
            t.add(weight(mix, s, p + "attn_output.weight", l, h, h, false, 0));
            t.add(new Tensor(p + "ffn_norm.weight", GgmlType.F32, 1, h, Kind.NORM, 0));
            t.add(weight(mix, s, p + "ffn_gate.weight", l, s.mlp(), h, false, 0));
            t.add(weight(mix, s, p + "ffn_up.weight", l, s.mlp(), h, false, 0));
            t.add(weight(mix, s, p + "ffn_down.weight", l, h, s.mlp(), false, 0));
        }
        t.add(new Tensor("output_norm.weight", GgmlType.F32, 1, h, Kind.NORM, 0));
        if (!s.tied()) t.add(weight(mix, s, "output.weight", -1, s.vocab(), h, true, 3));
        return t;
    }

    private static Tensor weight(QuantMix mix, Shape s, String name, int layer, int rows, int cols, boolean output, int zeroRows) {
        return new Tensor(name, mix.typeFor(name, output, layer, s.layers(), cols), rows, cols, Kind.WEIGHT, zeroRows);
    }

    private static void metadata(GgufWriter w, Shape s, QuantMix mix) {
        String a = s.arch();
        w.string("general.architecture", a).string("general.name", "synthetic " + s.name())
                .uint32("general.file_type", mix.fileType()).uint32("general.quantization_version", 2)
                .uint32(a + ".vocab_size", s.vocab()).uint32(a + ".context_length", s.context()).uint32(a + ".embedding_length", s.hidden())
                .uint32(a + ".block_count", s.layers()).uint32(a + ".feed_forward_length", s.mlp())
                .uint32(a + ".attention.head_count", s.heads()).uint32(a + ".attention.head_count_kv", s.kvHeads())
                .uint32(a + ".rope.dimension_count", s.headDim()).float32(a + ".rope.freq_base", 10000f)
                .float32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
        String[] tokens = new String[s.vocab()];
        float[] scores = new float[s.vocab()];
        int[] types = new int[s.vocab()];
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < s.vocab(); i++) {
            if (i < 3) {
                tokens[i] = specials[i];
                types[i] = i == 0 ? 2 : 3; // unknown, control
            } else if (i < 259) {
                tokens[i] = String.format("<0x%02X>", i - 3);
                types[i] = 6; // byte
            } else {
                tokens[i] = "▁tok" + i;
                scores[i] = -i;
                types[i] = 1; // normal
            }
        }
        w.string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", tokens).float32s("tokenizer.ggml.scores", scores)
                .int32s("tokenizer.ggml.token_type", types).uint32("tokenizer.ggml.bos_token_id", 1).uint32("tokenizer.ggml.eos_token_id", 2)
                .uint32("tokenizer.ggml.unknown_token_id", 0).bool("tokenizer.ggml.add_bos_token", true).bool("tokenizer.ggml.add_eos_token", false);
    }

    /** Generates and encodes a tensor in chunks of rows, the chunks in parallel, written in order. */
    private static void write(Tensor t, long seed, FileChannel ch) throws IOException {
        int rowBytes = (int) t.type.bytesFor(t.cols);
        Quantizer q = quantizer(t.type);
        for (int r0 = 0; r0 < t.rows; r0 += 16 * CHUNK_ROWS) {
            int start = r0, rows = Math.min(16 * CHUNK_ROWS, t.rows - r0);
            byte[] out = new byte[rows * rowBytes];
            IntStream.range(0, (rows + CHUNK_ROWS - 1) / CHUNK_ROWS).parallel().forEach(c -> {
                float[] row = new float[t.cols];
                for (int r = c * CHUNK_ROWS; r < Math.min(rows, (c + 1) * CHUNK_ROWS); r++) {
                    values(t, seed, start + r, row);
                    encode(t.type, q, row, out, r * rowBytes);
                }
            });
            ByteBuffer b = ByteBuffer.wrap(out);
            while (b.hasRemaining()) ch.write(b);
        }
    }

    private static void values(Tensor t, long seed, int row, float[] out) {
        if (t.kind == Kind.NORM || t.kind == Kind.BIAS || row < t.zeroRows) {
            java.util.Arrays.fill(out, t.kind == Kind.NORM ? 1f : 0f);
            return;
        }
        SplittableRandom random = new SplittableRandom(seed * 31 + row);
        for (int i = 0; i < out.length; i++) out[i] = (float) ((random.nextLong() >> 11) * 0x1.0p-53 * 0.1); // uniform in (-0.05, 0.05)
    }

    private static Quantizer quantizer(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.F16 ? null : Quantizer.of(type);
    }

    private static void encode(GgmlType type, Quantizer q, float[] row, byte[] out, int off) {
        if (q != null) {
            q.quantize(row, 0, row.length, out, off);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(out, off, (int) type.bytesFor(row.length)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : row) {
            if (type == GgmlType.F32) b.putFloat(v);
            else b.putShort(Float.floatToFloat16(v));
        }
    }
}
