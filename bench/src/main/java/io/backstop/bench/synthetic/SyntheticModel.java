package io.backstop.bench.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.Engine;
import io.backstop.engine.hub.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weights model of a shape (seeded, reproducible) in Hugging Face layout: config.json,
 * a byte-fallback tokenizer.json and safetensors in F32 or BF16; Q4 is Jlama's own quantization of the
 * BF16 copy. Models are cached by shape and dtype. The output rows of the special tokens are zero, so
 * greedy decoding never stops early on EOS.
 */
public final class SyntheticModel {
    public enum Dtype { F32, BF16, Q4 }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEED = 42;

    private SyntheticModel() {}

    /** The cached model directory for a shape and dtype, built first when missing. */
    public static Path ensure(Shape s, Dtype dtype, Path cache, ProgressListener progress) throws IOException {
        Path dir = cache.resolve(s.name() + "-" + dtype.name().toLowerCase(Locale.ROOT));
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("tokenizer.json"))) return dir;
        if (dtype == Dtype.Q4) {
            Path source = ensure(s, Dtype.BF16, cache, progress);
            return Engine.quantize(source, dir, "Q4");
        }
        Path tmp = cache.resolve(dir.getFileName() + ".partial");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        writeConfig(s, tmp);
        writeTokenizer(s, tmp);
        writeWeights(s, dtype, tmp.resolve("model.safetensors"), progress);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    private static void writeConfig(Shape s, Path dir) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(s.arch().equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        c.put("model_type", s.arch()).put("hidden_size", s.hidden()).put("intermediate_size", s.mlp())
                .put("num_hidden_layers", s.layers()).put("num_attention_heads", s.heads())
                .put("num_key_value_heads", s.kvHeads()).put("max_position_embeddings", s.context())
                .put("vocab_size", s.vocab()).put("hidden_act", "silu").put("rms_norm_eps", 1e-5)
                .put("rope_theta", 10000.0).put("bos_token_id", 1).put("eos_token_id", 2)
                .put("tie_word_embeddings", s.tied()).put("torch_dtype", "float32");
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
    }

    /** A valid sentencepiece-style BPE tokenizer: specials, 256 byte tokens, then "▁tok<i>" fillers. */
    private static void writeTokenizer(Shape s, Path dir) throws IOException {
        ObjectNode t = JSON.createObjectNode();
        ArrayNode added = t.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < 3; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ArrayNode ns = t.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
        ns.addObject().put("type", "Prepend").put("prepend", "▁");
        ns.addObject().put("type", "Replace").put("content", "▁").putObject("pattern").put("String", " ");
        t.putNull("pre_tokenizer");
        ObjectNode model = t.putObject("model").put("type", "BPE").put("unk_token", "<unk>").put("fuse_unk", true).put("byte_fallback", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < 3; i++) vocab.put(specials[i], i);
        for (int b = 0; b < 256; b++) vocab.put(String.format("<0x%02X>", b), 3 + b);
        for (int i = 259; i < s.vocab(); i++) vocab.put("▁tok" + i, i);
        model.putArray("merges");
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), t);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"legacy\": true}");
    }

    private static Map<String, int[]> tensors(Shape s) {
        Map<String, int[]> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", new int[] {s.vocab(), s.hidden()});
        boolean bias = s.arch().equals("qwen2");
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", new int[] {s.hidden()});
            t.put(p + "self_attn.q_proj.weight", new int[] {s.hidden(), s.hidden()});
            t.put(p + "self_attn.k_proj.weight", new int[] {s.kvDim(), s.hidden()});
            t.put(p + "self_attn.v_proj.weight", new int[] {s.kvDim(), s.hidden()});
            if (bias) {
                t.put(p + "self_attn.q_proj.bias", new int[] {s.hidden()});
                t.put(p + "self_attn.k_proj.bias", new int[] {s.kvDim()});
                t.put(p + "self_attn.v_proj.bias", new int[] {s.kvDim()});
            }
            t.put(p + "self_attn.o_proj.weight", new int[] {s.hidden(), s.hidden()});
            t.put(p + "post_attention_layernorm.weight", new int[] {s.hidden()});
            t.put(p + "mlp.gate_proj.weight", new int[] {s.mlp(), s.hidden()});
            t.put(p + "mlp.up_proj.weight", new int[] {s.mlp(), s.hidden()});
            t.put(p + "mlp.down_proj.weight", new int[] {s.hidden(), s.mlp()});
        }
        t.put("model.norm.weight", new int[] {s.hidden()});
        if (!s.tied()) t.put("lm_head.weight", new int[] {s.vocab(), s.hidden()});
        return t;
    }

    private static void writeWeights(Shape s, Dtype dtype, Path file, ProgressListener progress) throws IOException {
        Map<String, int[]> tensors = tensors(s);
        int width = dtype == Dtype.BF16 ? 2 : 4;
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, int[]> e : tensors.entrySet()) {
            long bytes = width * elements(e.getValue());
            ObjectNode n = header.putObject(e.getKey()).put("dtype", dtype.name());
            ArrayNode shape = n.putArray("shape");
            for (int d : e.getValue()) shape.add(d);
            n.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        long total = 8 + h.length + offset;
        String label = file.getParent().getFileName().toString().replace(".partial", "") + "/model.safetensors";
        progress.fileStarted(label, total);
        SplittableRandom random = new SplittableRandom(SEED);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length));
            ch.write(ByteBuffer.wrap(h));
            ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long written = 8 + h.length;
            for (Map.Entry<String, int[]> e : tensors.entrySet()) {
                boolean norm = e.getKey().endsWith("norm.weight");
                boolean bias = e.getKey().endsWith(".bias");
                // special tokens get zero output rows: the output matrix is lm_head, or the embeddings when tied
                boolean output = e.getKey().equals(s.tied() ? "model.embed_tokens.weight" : "lm_head.weight");
                long n = elements(e.getValue());
                int cols = e.getValue()[e.getValue().length - 1];
                for (long i = 0; i < n; i++) {
                    float v = norm ? 1f : bias ? 0f : (output && i / cols < 3) ? 0f
                            : (float) ((random.nextLong() >> 11) * 0x1.0p-53 * 0.1); // uniform in (-0.05, 0.05)
                    if (dtype == Dtype.BF16) buf.putShort(bf16(v));
                    else buf.putFloat(v);
                    if (!buf.hasRemaining()) {
                        written += drain(ch, buf);
                        progress.bytesTransferred(label, written, total);
                    }
                }
            }
            written += drain(ch, buf);
            progress.fileFinished(label, written, false);
        }
    }

    private static int drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        int n = buf.remaining();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
        return n;
    }

    /** Round to nearest even, as torch does. */
    static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
