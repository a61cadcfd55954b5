package io.backstop.server.config;

import java.nio.file.Path;

/**
 * One model to serve.
 *
 * @param name         public name clients put in "model"
 * @param path         model directory or GGUF file
 * @param repo         Hugging Face repo to download into {@code path} when it is absent (optional)
 * @param chatTemplate template for chat requests: the model's own when null; "raw" for base models
 * @param maxInFlight  generations running at once on this model; 0 = the backend's default (8 native, 2 Jlama)
 * @param queueSize    generations allowed to wait; more get 429
 * @param embeddings   whether /v1/embeddings may use this model
 * @param defaults     request defaults for fields a client leaves out
 * @param backend      "native" or "jlama"; null chooses by what the path holds
 * @param kvCacheMb    native backend: KV cache budget in MiB shared by the running sequences and the prefix cache; 0 = a quarter of the heap
 * @param prefillTokens native backend: prompt tokens per batch step (chunked prefill); 0 = the engine's default
 */
public record ModelConfig(String name, Path path, String repo, String chatTemplate, int maxInFlight, int queueSize,
                          boolean embeddings, RequestDefaults defaults, String backend, int kvCacheMb, int prefillTokens) {

    public ModelConfig(String name, Path path, String repo, String chatTemplate, int maxInFlight, int queueSize,
                       boolean embeddings, RequestDefaults defaults, String backend) {
        this(name, path, repo, chatTemplate, maxInFlight, queueSize, embeddings, defaults, backend, 0, 0);
    }

    /** With the backend chosen by what the path holds. */
    public ModelConfig(String name, Path path, String repo, String chatTemplate, int maxInFlight, int queueSize,
                       boolean embeddings, RequestDefaults defaults) {
        this(name, path, repo, chatTemplate, maxInFlight, queueSize, embeddings, defaults, null);
    }
}
