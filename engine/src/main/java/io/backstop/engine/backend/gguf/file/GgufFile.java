package io.backstop.engine.backend.gguf.file;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped once: metadata parsed, tensors described, and each
 * tensor's data a slice of the mapping (no copy on the heap). Every extent is checked against the
 * file's size before the mapping is touched, so a damaged file is refused with a message naming the
 * file and the problem, never a JVM crash. Closing it unmaps the file; tensor slices are unusable after.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian int. */
    static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> byName;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufReader.Parsed parsed) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = parsed.version();
        this.metadata = parsed.metadata();
        this.tensors = List.copyOf(parsed.tensors());
        Map<String, GgufTensorInfo> names = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) names.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(names);
        this.alignment = parsed.alignment();
        this.dataOffset = parsed.dataOffset();
    }

    /** Maps and parses the file; throws {@link GgufFormatException} naming the problem. */
    public static GgufFile open(Path path) {
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new GgufFormatException(path, "file does not exist");
        } catch (IOException e) {
            throw new GgufFormatException(path, "cannot read: " + e.getMessage());
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            GgufReader.Parsed parsed = new GgufReader(mapping, new Problems(path)).read();
            return new GgufFile(path, arena, mapping, parsed);
        } catch (IOException e) {
            arena.close();
            throw new GgufFormatException(path, "cannot map: " + e.getMessage());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** True when the file starts with the GGUF magic (cheap; reads 4 bytes). */
    public static boolean looksLikeGguf(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            return ch.read(b, 0) == 4 && b.getInt(0) == MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Tensors in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor with this name, or null. */
    public GgufTensorInfo tensor(String name) {
        return byName.get(name);
    }

    public int alignment() {
        return alignment;
    }

    /** Where the tensor data section starts. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    /** The whole mapping (for readers that need raw access, e.g. diagnostics). */
    public MemorySegment mapping() {
        return mapping;
    }

    /** An error about this file, for code that validates what the file holds (e.g. a model loader). */
    public GgufFormatException problem(String message) {
        return new GgufFormatException(path, message);
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    /** Builds errors that name the file. */
    static final class Problems {
        private final Path path;

        Problems(Path path) {
            this.path = path;
        }

        GgufFormatException of(String message) {
            return new GgufFormatException(path, message);
        }
    }
}
