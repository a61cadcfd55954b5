package io.backstop.engine.backend.gguf;

import io.backstop.engine.backend.gguf.file.GgmlType;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.file.GgufTensorInfo;
import io.backstop.engine.backend.gguf.file.GgufWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Variants of real GGUF files for tests: the same tensors with metadata added, changed or tensors retyped. */
final class GgufTestFiles {
    private GgufTestFiles() {}

    /** Copies every key and tensor, then lets {@code edit} add or overwrite metadata. */
    static void copy(Path src, Path dst, Consumer<GgufWriter> edit) {
        copy(src, dst, edit, null, null);
    }

    /** As {@link #copy(Path, Path, Consumer)}, with tensor {@code retyped} stored as {@code type} (zero bytes). */
    static void copy(Path src, Path dst, Consumer<GgufWriter> edit, String retyped, GgmlType type) {
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter();
            for (String k : f.metadata().keys()) w.copy(k, f.metadata());
            edit.accept(w);
            for (GgufTensorInfo t : f.tensors()) {
                if (t.name().equals(retyped)) {
                    long bytes = type.bytesFor(t.elements());
                    w.tensor(t.name(), type, t.dims(), ch -> ch.write(ByteBuffer.allocate((int) bytes)));
                } else {
                    w.tensor(t.name(), t.type(), t.dims(), ch -> ch.write(t.data().asByteBuffer()));
                }
            }
            w.write(dst);
        }
    }
}
