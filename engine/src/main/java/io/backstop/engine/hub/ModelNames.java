package io.backstop.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** The name a model directory goes by when nobody names it: its folder, unless that folder name says nothing. */
public final class ModelNames {
    /** Folder names that describe a format or a revision rather than a model (…/stories260K/hf, …/snapshots/<sha>). */
    private static final Set<String> GENERIC = Set.of("hf", "huggingface", "model", "models", "weights", "safetensors",
            "checkpoint", "original", "main", "snapshot", "snapshots", "latest", "output", "out");

    private ModelNames() {}

    /**
     * The folder name of {@code dir}; for a generic one ({@code hf}, {@code model}, a commit hash, …) the last
     * part of config.json's {@code _name_or_path}, else the parent folder's name (for a Hugging Face cache
     * snapshot {@code models--owner--name/snapshots/<commit>}, the repo's name).
     */
    public static String of(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        String folder = abs.getFileName() == null ? "model" : abs.getFileName().toString();
        if (!isGeneric(folder)) return folder;
        String declared = lastSegment(nameOrPath(abs.resolve("config.json")));
        if (declared != null && !isGeneric(declared)) return declared;
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots")) parent = parent.getParent();
        if (parent == null || parent.getFileName() == null) return folder;
        String name = parent.getFileName().toString();
        if (name.startsWith("models--")) name = name.substring(name.lastIndexOf("--") + 2);
        return name.isEmpty() || isGeneric(name) ? folder : name;
    }

    static boolean isGeneric(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return GENERIC.contains(n) || n.matches("[0-9a-f]{40}");
    }

    private static String nameOrPath(Path config) {
        if (!Files.isRegularFile(config)) return null;
        try {
            JsonNode n = new ObjectMapper().readTree(config.toFile()).path("_name_or_path");
            return n.isTextual() ? n.asText().strip() : null;
        } catch (IOException e) {
            return null; // a broken config.json is reported when the model loads
        }
    }

    private static String lastSegment(String nameOrPath) {
        if (nameOrPath == null) return null;
        String s = nameOrPath.replace('\\', '/');
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        s = s.substring(s.lastIndexOf('/') + 1);
        return s.isBlank() || s.equals(".") || s.equals("..") ? null : s;
    }
}
