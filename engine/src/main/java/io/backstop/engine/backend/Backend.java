package io.backstop.engine.backend;

import java.nio.file.Path;

/** A way to run models (Jlama today; our own GGUF engine later). */
public interface Backend {
    String name();

    /** Whether this backend understands the files in this directory or file. */
    boolean canLoad(Path model);

    BackendModel load(Path model, BackendOptions options);

    /** The chat templates a model directory ships (name → source; "default" for its main one), read without loading weights. */
    java.util.Map<String, String> chatTemplates(Path model);
}
