package io.backstop.engine.backend.jlama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import io.backstop.engine.ModelInfo;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.Backend;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.BackendOptions;
import io.backstop.engine.backend.safetensors.SafetensorsHeader;
import io.backstop.engine.hub.ModelNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Loads Hugging Face model directories (safetensors) with Jlama 0.8.4. */
public final class JlamaBackend implements Backend {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Architectures Jlama can generate text with (BERT only embeds). */
    private static final Set<String> GENERATIVE = Set.of("llama", "mistral", "mixtral", "gemma", "gemma2", "qwen2", "gpt2", "granite");
    private static final Set<String> DTYPES = Set.of("F32", "F16", "BF16", "Q4");

    @Override
    public String name() {
        return "jlama";
    }

    @Override
    public boolean canLoad(Path model) {
        return Files.isRegularFile(model.resolve("config.json"));
    }

    @Override
    public BackendModel load(Path dir, BackendOptions options) {
        JsonNode config = readJson(dir.resolve("config.json"), true);
        String type = config.path("model_type").asText("");
        if (!GENERATIVE.contains(type)) {
            throw new ModelLoadException("model_type '" + type + "' in " + dir.resolve("config.json")
                    + " is not supported for generation by the Jlama backend (supported: " + String.join(", ", sorted(GENERATIVE)) + ")");
        }
        JlamaShapeGuard.check(config);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new ModelLoadException("no tokenizer.json in " + dir + " (the Jlama backend needs the Hugging Face tokenizer file)");
        }
        SafetensorsHeader weights = SafetensorsHeader.readDirectory(dir);
        String dtype = weights.dominantDtype();
        if (dtype.equals("I8")) {
            throw new ModelLoadException("the weights in " + dir + " are Jlama Q8 (I8), which Jlama 0.8.4 cannot run correctly;"
                    + " use the original weights or quantize them to Q4 with `backstop quantize`");
        }
        if (!DTYPES.contains(dtype)) {
            throw new ModelLoadException("weight dtype " + dtype + " in " + dir + " is not supported (supported: F32, F16, BF16, Jlama Q4)");
        }
        if (options.threads() > 0) PhysicalCoreExecutor.overrideThreadCount(options.threads());

        JsonNode tokenizerConfig = readJson(dir.resolve("tokenizer_config.json"), false);
        KvCacheFolder kvFolder = KvCacheFolder.create(options.workDir(), ModelNames.of(dir));
        AbstractModel model;
        try {
            model = ModelSupport.loadModel(dir.toFile(), kvFolder.path().toFile(), DType.F32, DType.I8, Optional.empty(), Optional.empty());
        } catch (RuntimeException e) {
            kvFolder.close();
            throw new ModelLoadException("Jlama could not load " + dir + ": " + rootMessage(e), e);
        }
        try {
            Config c = model.getConfig();
            ModelInfo info = new ModelInfo(
                    ModelNames.of(dir), dir.toAbsolutePath(), name(), architecture(config, type),
                    weights.parameterCount(), dtype, c.contextLength, JlamaModel.maxPositions(c), c.vocabularySize,
                    c.embeddingLength, c.numberOfLayers, c.numberOfHeads, c.numberOfKeyValueHeads, c.hiddenLength,
                    List.copyOf(chatTemplates(tokenizerConfig).keySet()));
            return new JlamaModel(model, kvFolder, info, eosIds(c, dir), addsBos(tokenizerConfig),
                    chatTemplates(tokenizerConfig), specialTokenTexts(tokenizerConfig));
        } catch (RuntimeException e) {
            model.close();
            kvFolder.close();
            throw e;
        }
    }

    @Override
    public Map<String, String> chatTemplates(Path dir) {
        return chatTemplates(readJson(dir.resolve("tokenizer_config.json"), false));
    }

    private static String architecture(JsonNode config, String type) {
        JsonNode archs = config.path("architectures");
        return archs.isArray() && !archs.isEmpty() ? archs.get(0).asText() : type;
    }

    /** EOS ids from config.json (via Jlama) plus generation_config.json, which often lists more. */
    private static Set<Integer> eosIds(Config c, Path dir) {
        Set<Integer> ids = new LinkedHashSet<>(c.eosTokens == null ? List.of() : c.eosTokens);
        JsonNode gen = readJson(dir.resolve("generation_config.json"), false).path("eos_token_id");
        if (gen.isInt()) ids.add(gen.asInt());
        if (gen.isArray()) gen.forEach(n -> ids.add(n.asInt()));
        return ids;
    }

    /** HF's rule: add_bos_token when stated, otherwise models that declare a BOS token use it. */
    private static boolean addsBos(JsonNode tokenizerConfig) {
        if (tokenizerConfig.has("add_bos_token")) return tokenizerConfig.path("add_bos_token").asBoolean();
        if (tokenizerConfig.isMissingNode() || tokenizerConfig.isEmpty()) return true;
        return !tokenText(tokenizerConfig.path("bos_token")).isEmpty();
    }

    static Map<String, String> chatTemplates(JsonNode tokenizerConfig) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode t = tokenizerConfig.path("chat_template");
        if (t.isTextual()) out.put("default", t.asText());
        if (t.isArray()) t.forEach(n -> out.put(n.path("name").asText(), n.path("template").asText()));
        return out;
    }

    private static Map<String, String> specialTokenTexts(JsonNode tokenizerConfig) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("bos_token", tokenText(tokenizerConfig.path("bos_token")));
        out.put("eos_token", tokenText(tokenizerConfig.path("eos_token")));
        return out;
    }

    private static String tokenText(JsonNode n) {
        if (n.isTextual()) return n.asText();
        if (n.isObject()) return n.path("content").asText("");
        return "";
    }

    private static JsonNode readJson(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) throw new ModelLoadException("no " + file.getFileName() + " in " + file.getParent() + " (is this a Hugging Face model directory?)");
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file + " is not valid JSON: " + e.getMessage());
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(null);
        return l;
    }
}
