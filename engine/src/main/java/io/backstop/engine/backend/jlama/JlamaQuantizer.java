package io.backstop.engine.backend.jlama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.ModelLoadException;
import io.backstop.engine.backend.safetensors.SafetensorsHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Writes a Jlama-Q4 copy of a Hugging Face model directory. The output is built in a staging folder
 * beside the target and moved into place at the end, so a failed run never leaves a half model.
 */
public final class JlamaQuantizer {
    /** Files besides weights that a model directory needs or that users expect to keep. */
    private static final List<String> SIDE_FILES = List.of("generation_config.json", "special_tokens_map.json",
            "tokenizer.model", "LICENSE", "LICENSE.txt", "NOTICE");

    private JlamaQuantizer() {}

    /**
     * The quantization {@code type} names, upper-cased.
     *
     * @throws InvalidRequestException (field {@code type}) for Q8, which Jlama writes but cannot run, and unknown types
     */
    public static String checkType(String type) {
        String t = type == null ? "Q4" : type.strip().toUpperCase(Locale.ROOT);
        if (t.equals("Q8") || t.equals("I8") || t.equals("Q8_0")) {
            throw new InvalidRequestException("type", "Q8 is not offered: Jlama 0.8.4's Q8 weights fail at inference; use Q4");
        }
        if (!t.equals("Q4")) throw new InvalidRequestException("type", "unknown quantization '" + type + "'; supported: Q4");
        return t;
    }

    public static Path quantize(Path source, Path target, String type) {
        checkType(type);
        Path src = source.toAbsolutePath().normalize();
        if (!Files.isRegularFile(src.resolve("config.json")) || !Files.isRegularFile(src.resolve("tokenizer.json"))) {
            throw new ModelLoadException(source + " is not a Hugging Face model directory (needs config.json and tokenizer.json)");
        }
        String dtype = SafetensorsHeader.readDirectory(src).dominantDtype();
        if (dtype.equals("Q4") || dtype.equals("I8")) throw new ModelLoadException(source + " is already quantized (" + dtype + ")");
        JlamaShapeGuard.check(readConfig(src));
        Path dst = target.toAbsolutePath().normalize();
        if (Files.exists(dst) && !isEmptyDir(dst)) throw new ModelLoadException("output " + target + " already exists and is not empty; choose another --output");

        Path staging = dst.resolveSibling(dst.getFileName() + ".partial");
        Path input = null;
        try {
            deleteRecursively(staging);
            input = stagedInput(src);
            SafeTensorSupport.quantizeModel(input, DType.Q4, null, null, java.util.Optional.of(staging));
            for (String f : SIDE_FILES) {
                if (Files.isRegularFile(src.resolve(f))) Files.copy(src.resolve(f), staging.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            if (Files.exists(dst)) Files.delete(dst);
            Files.createDirectories(dst.getParent());
            Files.move(staging, dst, StandardCopyOption.ATOMIC_MOVE);
            return dst;
        } catch (IOException | RuntimeException e) {
            quietlyDelete(staging);
            if (e instanceof ModelLoadException m) throw m;
            throw new ModelLoadException("quantizing " + source + " failed: " + e.getMessage(), e);
        } finally {
            if (input != null && !input.equals(src)) quietlyDelete(input);
        }
    }

    /** Jlama's quantizer insists on a README.md; give it a folder of links with one when the model has none. */
    private static Path stagedInput(Path src) throws IOException {
        if (Files.isRegularFile(src.resolve("README.md"))) return src;
        Path tmp = Files.createTempDirectory("backstop-quantize");
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) Files.createSymbolicLink(tmp.resolve(f.getFileName()), f);
            }
        }
        Files.writeString(tmp.resolve("README.md"), "# " + src.getFileName() + "\n");
        return tmp;
    }

    private static com.fasterxml.jackson.databind.JsonNode readConfig(Path dir) {
        try {
            return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        } catch (IOException e) {
            throw new ModelLoadException(dir.resolve("config.json") + " is not valid JSON: " + e.getMessage());
        }
    }

    private static boolean isEmptyDir(Path p) {
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void quietlyDelete(Path p) {
        try {
            deleteRecursively(p);
        } catch (IOException | UncheckedIOException ignored) {
            // best effort cleanup of our own temporary files
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
