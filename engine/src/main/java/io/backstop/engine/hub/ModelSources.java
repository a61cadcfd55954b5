package io.backstop.engine.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What {@code --model} may name, as a local path: a path as it is; {@code ollama:NAME[:TAG]}, the GGUF
 * blob in the local Ollama store; {@code owner/name:QUANT}, the GGUF file of that quantization in
 * {@code models/<name>/}, downloaded first when it is not there (like {@code ollama run}).
 */
public final class ModelSources {
    private ModelSources() {}

    /**
     * The local model {@code spec} names; for anything else, the path it spells (which the caller will find missing).
     *
     * @throws ModelFetchException when an Ollama model is not pulled, or a download fails (the message says what to do)
     */
    public static Path resolve(String spec, Map<String, String> env, ProgressListener progress) {
        return resolve(spec, ModelFetcher.modelsFolder(), env, progress);
    }

    /** {@link #resolve(String, Map, ProgressListener)} with downloads going to {@code modelsFolder/<name>/}. */
    static Path resolve(String spec, Path modelsFolder, Map<String, String> env, ProgressListener progress) {
        if (spec.startsWith(OllamaStore.PREFIX)) return OllamaStore.fromEnvironment(env).resolve(spec);
        Path path = asPath(spec);
        if (path != null && Files.exists(path)) return path;
        if (!HubSource.isTagged(spec)) {
            if (path == null) throw new ModelFetchException("'" + spec + "' is neither a path, ollama:NAME[:TAG] nor owner/name:QUANT");
            return path;
        }
        Path dir = modelsFolder.resolve(HubSource.parse(spec).repo().name());
        Path local = downloaded(dir, HubSource.parse(spec).tag());
        return local != null ? local : new ModelFetcher(env).fetch(spec, dir, null, progress);
    }

    /**
     * Whether what a configured {@code repo} names is already at {@code path}: for {@code owner/name:QUANT}, a
     * GGUF file of that quantization (or {@code path} is a GGUF file); for a safetensors repo, its config.json.
     */
    public static boolean isDownloaded(String repo, Path path) {
        if (!HubSource.isTagged(repo)) return Files.isRegularFile(path.resolve("config.json"));
        return Files.isRegularFile(path) || downloaded(path, HubSource.parse(repo).tag()) != null;
    }

    /**
     * The name to serve a model under when none is given: what the user typed for a non-path source, a GGUF
     * file's name without {@code .gguf}; null for anything else (a directory is named by its folder).
     */
    public static String displayName(String spec) {
        if (spec.startsWith(OllamaStore.PREFIX)) return spec.substring(OllamaStore.PREFIX.length());
        Path path = asPath(spec);
        if (path != null && Files.isRegularFile(path) && path.getFileName() != null && GgufFiles.isGguf(path.getFileName().toString())) {
            String file = path.getFileName().toString();
            return file.substring(0, file.length() - ".gguf".length());
        }
        if ((path == null || !Files.exists(path)) && HubSource.isTagged(spec)) {
            HubSource s = HubSource.parse(spec);
            return s.repo().name() + ":" + s.tag();
        }
        return null;
    }

    /** The one complete GGUF file in {@code dir} (any depth) that carries the tag, or null: no network needed. */
    static Path downloaded(Path dir, String tag) {
        if (!Files.isDirectory(dir)) return null;
        try (Stream<Path> files = Files.walk(dir, 3)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            List<String> names = all.stream().map(p -> dir.relativize(p).toString().replace('\\', '/')).toList();
            List<String> matches = GgufFiles.matching(names, tag);
            return matches.size() == 1 ? dir.resolve(matches.getFirst()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Path asPath(String spec) {
        try {
            return Path.of(spec);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
