package io.backstop.engine.text;

import io.backstop.engine.InvalidRequestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the chat template a request means: the model's own, one it ships by name, a built-in, or a
 * Jinja file (a name ending in {@code .jinja}: a path, read once).
 */
public final class ChatTemplates {
    public static final String RAW = "raw";
    public static final String CHATML = "chatml";
    private static final String CHATML_SOURCE = """
            {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}\
            {% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}""";

    private final String modelName;
    private final Map<String, String> shipped;
    private final String bosToken;
    private final String eosToken;
    private final String defaultOverride;
    private final Map<String, ChatTemplate> files = new ConcurrentHashMap<>();

    /**
     * @param shipped         templates from the model (name → source; "default" for the main one)
     * @param defaultOverride template to use when a request names none (configuration), or null
     */
    public ChatTemplates(String modelName, Map<String, String> shipped, Map<String, String> specialTokens, String defaultOverride) {
        this.modelName = modelName;
        this.shipped = new LinkedHashMap<>(shipped);
        this.bosToken = specialTokens.getOrDefault("bos_token", "");
        this.eosToken = specialTokens.getOrDefault("eos_token", "");
        this.defaultOverride = defaultOverride;
    }

    public ChatTemplate resolve(String requested) {
        String name = requested != null ? requested : defaultOverride;
        if (name == null) {
            String source = shipped.get("default");
            if (source == null) {
                throw new InvalidRequestException("template", "model '" + modelName
                        + "' has no chat template (tokenizer_config.json has no chat_template); name one, e.g. '"
                        + RAW + "' for base models, or send a plain completion prompt");
            }
            return new ChatTemplate.Jinja("default", source, bosToken, eosToken);
        }
        if (name.equals(RAW)) return new ChatTemplate.Raw();
        if (name.endsWith(".jinja")) return files.computeIfAbsent(name, this::readFile);
        if (shipped.containsKey(name)) return new ChatTemplate.Jinja(name, shipped.get(name), bosToken, eosToken);
        if (name.equals(CHATML)) return new ChatTemplate.Jinja(CHATML, CHATML_SOURCE, bosToken, eosToken);
        TreeSet<String> known = new TreeSet<>(shipped.keySet());
        known.add(RAW);
        known.add(CHATML);
        throw new InvalidRequestException("template", "unknown chat template '" + name + "' for model '" + modelName + "'; known: "
                + String.join(", ", known) + ", or a path to a .jinja file");
    }

    private ChatTemplate readFile(String path) {
        try {
            return new ChatTemplate.Jinja(path, Files.readString(Path.of(path)), bosToken, eosToken);
        } catch (IOException | RuntimeException e) {
            throw new InvalidRequestException("template", "cannot read the chat template file " + path + ": " + e.getMessage());
        }
    }
}
