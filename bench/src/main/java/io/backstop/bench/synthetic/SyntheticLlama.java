package io.backstop.bench.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weights Llama model (seeded, reproducible) in Hugging Face layout: config.json, a
 * byte-fallback tokenizer.json and F32 safetensors. Weight values don't change speed, so this measures
 * a shape without downloading the real model. The output rows of the special tokens are zero, so
 * greedy decoding never stops early on EOS.
 */
public final class SyntheticLlama {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A model shape. */
    public record Shape(String name, int hidden, int layers, int heads, int kvHeads, int mlp, int vocab, int context) {
        public long parameters() {
            long headDim = hidden / heads;
            long attn = 2L * hidden * hidden + 2L * hidden * kvHeads * headDim;
            return 2L * vocab * hidden + layers * (attn + 3L * hidden * mlp + 2L * hidden) + hidden;
        }
    }

    /** Small enough to build in seconds, large enough that the forward pass dominates (≈ 90M parameters). */
    public static final Shape BENCH_SMALL = new Shape("llama-90m", 1024, 8, 16, 4, 2816, 4096, 1024);
    /** For CI smoke runs. */
    public static final Shape TINY = new Shape("llama-tiny", 128, 2, 4, 2, 256, 512, 256);

    private SyntheticLlama() {}

    /** Builds the model in {@code dir} unless it is already there; returns the directory. */
    public static Path ensure(Shape s, Path dir, long seed) throws IOException {
        if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("tokenizer.json"))) return dir;
        Files.createDirectories(dir);
        writeConfig(s, dir);
        writeTokenizer(s, dir);
        writeWeights(s, dir.resolve("model.safetensors"), seed);
        return dir;
    }

    private static void writeConfig(Shape s, Path dir) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama").put("hidden_size", s.hidden()).put("intermediate_size", s.mlp())
                .put("num_hidden_layers", s.layers()).put("num_attention_heads", s.heads())
                .put("num_key_value_heads", s.kvHeads()).put("max_position_embeddings", s.context())
                .put("vocab_size", s.vocab()).put("hidden_act", "silu").put("rms_norm_eps", 1e-5)
                .put("rope_theta", 10000.0).put("bos_token_id", 1).put("eos_token_id", 2)
                .put("tie_word_embeddings", false).put("torch_dtype", "float32");
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
        ObjectNode norm = t.putObject("normalizer").put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
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

    private static void writeWeights(Shape s, Path file, long seed) throws IOException {
        int headDim = s.hidden() / s.heads();
        int kv = s.kvHeads() * headDim;
        Map<String, int[]> tensors = new LinkedHashMap<>();
        tensors.put("model.embed_tokens.weight", new int[] {s.vocab(), s.hidden()});
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            tensors.put(p + "input_layernorm.weight", new int[] {s.hidden()});
            tensors.put(p + "self_attn.q_proj.weight", new int[] {s.hidden(), s.hidden()});
            tensors.put(p + "self_attn.k_proj.weight", new int[] {kv, s.hidden()});
            tensors.put(p + "self_attn.v_proj.weight", new int[] {kv, s.hidden()});
            tensors.put(p + "self_attn.o_proj.weight", new int[] {s.hidden(), s.hidden()});
            tensors.put(p + "post_attention_layernorm.weight", new int[] {s.hidden()});
            tensors.put(p + "mlp.gate_proj.weight", new int[] {s.mlp(), s.hidden()});
            tensors.put(p + "mlp.up_proj.weight", new int[] {s.mlp(), s.hidden()});
            tensors.put(p + "mlp.down_proj.weight", new int[] {s.hidden(), s.mlp()});
        }
        tensors.put("model.norm.weight", new int[] {s.hidden()});
        tensors.put("lm_head.weight", new int[] {s.vocab(), s.hidden()});

        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, int[]> e : tensors.entrySet()) {
            long bytes = 4L * elements(e.getValue());
            ObjectNode n = header.putObject(e.getKey()).put("dtype", "F32");
            ArrayNode shape = n.putArray("shape");
            for (int d : e.getValue()) shape.add(d);
            n.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        SplittableRandom random = new SplittableRandom(seed);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length));
            ch.write(ByteBuffer.wrap(h));
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, int[]> e : tensors.entrySet()) {
                boolean norm = e.getValue().length == 1;
                boolean head = e.getKey().equals("lm_head.weight");
                long n = elements(e.getValue());
                int cols = e.getValue()[e.getValue().length - 1];
                for (long i = 0; i < n; i++) {
                    float v = norm ? 1f : (head && i / cols < 3) ? 0f : (float) (random.nextDouble(-1, 1) * 0.05);
                    buf.putFloat(v);
                    if (!buf.hasRemaining()) {
                        ch.write(buf.flip());
                        buf.clear();
                    }
                }
            }
            ch.write(buf.flip());
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
