package io.backstop.engine.backend.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.engine.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads only the JSON headers of a directory's *.safetensors files, to describe a model (dtype,
 * parameter count) without loading its weights.
 */
public final class SafetensorsHeader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    /** One tensor's entry. */
    public record Tensor(String name, String dtype, long[] shape) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private final List<Tensor> tensors;

    private SafetensorsHeader(List<Tensor> tensors) {
        this.tensors = tensors;
    }

    public static SafetensorsHeader readDirectory(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new ModelLoadException("cannot list model directory " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) throw new ModelLoadException("no *.safetensors weights in " + dir);
        List<Tensor> all = new ArrayList<>();
        for (Path f : files) all.addAll(readFile(f));
        return new SafetensorsHeader(all);
    }

    static List<Tensor> readFile(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(len) != 8) throw new ModelLoadException(file + " is not a safetensors file (too short)");
            long n = len.flip().getLong();
            if (n <= 0 || n > MAX_HEADER || n > ch.size() - 8) {
                throw new ModelLoadException(file + " is not a safetensors file (bad header length " + n + ")");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            while (header.hasRemaining() && ch.read(header) > 0) {}
            JsonNode root = JSON.readTree(header.array());
            List<Tensor> out = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode shape = e.getValue().path("shape");
                long[] dims = new long[shape.size()];
                for (int i = 0; i < dims.length; i++) dims[i] = shape.get(i).asLong();
                out.add(new Tensor(e.getKey(), e.getValue().path("dtype").asText(), dims));
            }
            return out;
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage());
        }
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    /** Parameters, not counting Jlama's per-block scale tensors (suffix ".qb"). */
    public long parameterCount() {
        return tensors.stream().filter(t -> !t.name().endsWith(".qb")).mapToLong(Tensor::elements).sum();
    }

    /** The dtype holding most of the matrix parameters (what a user calls the model's dtype). */
    public String dominantDtype() {
        Map<String, Long> byType = new HashMap<>();
        for (Tensor t : tensors) {
            if (t.name().endsWith(".qb") || t.shape().length < 2) continue;
            byType.merge(t.dtype(), t.elements(), Long::sum);
        }
        return byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("unknown");
    }
}
