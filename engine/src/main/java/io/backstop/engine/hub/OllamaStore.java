package io.backstop.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The models an Ollama installation has pulled, read in place and never written: {@code ollama:NAME[:TAG]}
 * is the manifest {@code manifests/HOST/NAMESPACE/NAME/TAG} (Ollama's defaults: registry.ollama.ai,
 * library, latest), whose layer of type {@value #MODEL_LAYER} names the GGUF blob {@code blobs/sha256-HEX}.
 * The store is {@code $OLLAMA_MODELS}, else {@code ~/.ollama/models}.
 */
public final class OllamaStore {
    public static final String PREFIX = "ollama:";
    static final String MODEL_LAYER = "application/vnd.ollama.image.model";
    private static final String HOST = "registry.ollama.ai";
    private static final String NAMESPACE = "library";
    private static final String TAG = "latest";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public OllamaStore(Path root) {
        this.root = root;
    }

    /** The store {@code OLLAMA_MODELS} names, else {@code ~/.ollama/models}. */
    public static OllamaStore fromEnvironment(Map<String, String> env) {
        String dir = env.get("OLLAMA_MODELS");
        return new OllamaStore(dir != null && !dir.isBlank() ? Path.of(dir.strip()) : Path.of(System.getProperty("user.home"), ".ollama", "models"));
    }

    /** The store's folder (holding manifests/ and blobs/). */
    public Path root() {
        return root;
    }

    /**
     * The GGUF file of a pulled model.
     *
     * @param name {@code NAME[:TAG]}, {@code NAMESPACE/NAME[:TAG]} or {@code HOST/NAMESPACE/NAME[:TAG]}, with or without {@value #PREFIX}
     */
    public Path resolve(String name) {
        String spec = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        if (!Files.isDirectory(root.resolve("manifests"))) {
            throw new ModelFetchException("no Ollama model store at " + root + " (set OLLAMA_MODELS to the folder holding manifests/ and blobs/)");
        }
        String[] path = modelPath(spec);
        Path manifest = root.resolve("manifests").resolve(String.join("/", path));
        if (!Files.isRegularFile(manifest)) throw notPulled(spec, path);
        JsonNode layer = modelLayer(manifest, spec);
        String digest = layer.path("digest").asText("");
        if (!digest.matches("sha256:[0-9a-f]{64}")) throw new ModelFetchException("Ollama manifest " + manifest + " names a bad digest '" + digest + "'");
        Path blob = root.resolve("blobs").resolve(digest.replace(':', '-'));
        try {
            if (!Files.isRegularFile(blob)) {
                throw new ModelFetchException("the weights of ollama:" + spec + " (" + blob.getFileName() + ") are missing from " + root.resolve("blobs")
                        + "; pull the model again with `ollama pull " + spec + "`");
            }
            long size = layer.path("size").asLong(-1);
            if (size >= 0 && Files.size(blob) != size) {
                throw new ModelFetchException("the weights of ollama:" + spec + " are " + Files.size(blob) + " bytes, its manifest says " + size
                        + "; pull the model again with `ollama pull " + spec + "`");
            }
            if (!startsWithGgufMagic(blob)) throw new ModelFetchException("the weights of ollama:" + spec + " (" + blob + ") are not a GGUF file");
        } catch (IOException e) {
            throw new ModelFetchException("cannot read " + blob + ": " + HubClient.reason(e));
        }
        return blob;
    }

    /** host, namespace, model, tag; a tag after the last ':' that no '/' follows, as Ollama parses names. */
    private static String[] modelPath(String spec) {
        int colon = spec.lastIndexOf(':');
        String tag = colon > spec.lastIndexOf('/') ? spec.substring(colon + 1) : TAG;
        String rest = colon > spec.lastIndexOf('/') ? spec.substring(0, colon) : spec;
        String[] parts = rest.split("/", -1);
        String[] path = switch (parts.length) {
            case 1 -> new String[] {HOST, NAMESPACE, parts[0], tag};
            case 2 -> new String[] {HOST, parts[0], parts[1], tag};
            case 3 -> new String[] {parts[0], parts[1], parts[2], tag};
            default -> null;
        };
        if (path == null || List.of(path).stream().anyMatch(p -> !p.matches("[A-Za-z0-9][A-Za-z0-9._:-]*") || p.contains(".."))) {
            throw new ModelFetchException("'" + spec + "' is not an Ollama model name such as llama3.2 or qwen2.5:0.5b");
        }
        return path;
    }

    private static JsonNode modelLayer(Path manifest, String spec) {
        JsonNode root;
        try {
            root = JSON.readTree(manifest.toFile());
        } catch (IOException e) {
            throw new ModelFetchException("cannot read the Ollama manifest " + manifest + ": " + HubClient.reason(e));
        }
        List<JsonNode> models = new ArrayList<>();
        for (JsonNode layer : root.path("layers")) if (MODEL_LAYER.equals(layer.path("mediaType").asText())) models.add(layer);
        if (models.size() != 1) {
            throw new ModelFetchException("the Ollama manifest of " + spec + " has " + models.size() + " layers of type " + MODEL_LAYER + " (expected one)");
        }
        return models.getFirst();
    }

    /** Not pulled: which tags of that model are, or which models are. */
    private ModelFetchException notPulled(String spec, String[] path) {
        Path modelDir = root.resolve("manifests").resolve(path[0]).resolve(path[1]).resolve(path[2]);
        List<String> tags = list(modelDir, 1);
        if (!tags.isEmpty()) {
            return new ModelFetchException("ollama:" + spec + " is not pulled; local tags of " + path[2] + ": " + String.join(", ", tags));
        }
        List<String> models = list(root.resolve("manifests"), 4).stream().map(OllamaStore::displayName).sorted().toList();
        return new ModelFetchException("ollama:" + spec + " is not pulled" + (models.isEmpty() ? "; the store " + root + " has no models"
                : "; local models: " + String.join(", ", models)) + " (pull it with `ollama pull " + spec + "`)");
    }

    /** The paths of the files {@code depth} levels under {@code dir}, relative to it, sorted. */
    private static List<String> list(Path dir, int depth) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.walk(dir, depth)) {
            return files.filter(Files::isRegularFile).filter(p -> dir.relativize(p).getNameCount() == depth)
                    .map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** host/namespace/model/tag as a user types it: {@code llama3.2:1b}, {@code user/model:tag}, {@code hf.co/o/r:Q4_K_M}. */
    private static String displayName(String manifestPath) {
        String[] p = manifestPath.split("/");
        String name = p[0].equals(HOST) ? (p[1].equals(NAMESPACE) ? p[2] : p[1] + "/" + p[2]) : p[0] + "/" + p[1] + "/" + p[2];
        return name + ":" + p[3];
    }

    private static boolean startsWithGgufMagic(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        }
    }
}
