package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.TestModels;
import io.backstop.engine.backend.gguf.file.GgufFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** llama.cpp's tokenizer test cases in ../shared/models/gguf-vocab ({@code X.gguf.inp} / {@code X.gguf.out}). */
final class VocabFixtures {
    static final List<String> FILES = List.of("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf", "ggml-vocab-gpt-2.gguf", "llama-bpe.gguf", "qwen2.gguf");

    /** One test string and the ids llama.cpp gives it. */
    record Case(String text, int[] ids) {}

    private VocabFixtures() {}

    static Path file(String name) {
        return TestModels.shared().resolve("models/gguf-vocab").resolve(name);
    }

    static GgufTokenizer tokenizer(String name) {
        try (GgufFile f = GgufFile.open(file(name))) {
            return GgufTokenizer.from(f.metadata());
        }
    }

    /** The cases of {@code name + suffix} (".inp"/".out" or ".special.inp"/".special.out"). */
    static List<Case> cases(String name, String suffix) {
        try {
            String inp = Files.readString(file(name + suffix + ".inp"), StandardCharsets.UTF_8);
            List<String> texts = new ArrayList<>(Arrays.asList(inp.split("\n__ggml_vocab_test__\n", -1)));
            if (texts.getLast().isEmpty()) texts.removeLast(); // the file ends with the separator
            List<String> lines = Files.readAllLines(file(name + suffix + ".out"), StandardCharsets.UTF_8);
            if (lines.size() != texts.size()) throw new IllegalStateException(name + suffix + ": " + texts.size() + " strings but " + lines.size() + " id lines");
            List<Case> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = lines.get(i).trim();
                int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                out.add(new Case(texts.get(i), ids));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
