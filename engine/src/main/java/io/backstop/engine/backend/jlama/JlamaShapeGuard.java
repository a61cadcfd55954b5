package io.backstop.engine.backend.jlama;

import com.fasterxml.jackson.databind.JsonNode;
import io.backstop.engine.ModelLoadException;

/**
 * Refuses model shapes that Jlama 0.8.4 computes wrongly, before any weight is loaded, so a user
 * never gets silent garbage: its MLP kernels throw on widths that are not a multiple of 8 and drop
 * rows for widths above 128 that are not a multiple of 128.
 */
final class JlamaShapeGuard {
    private JlamaShapeGuard() {}

    static void check(JsonNode config) {
        int mlp = config.path("intermediate_size").asInt(config.path("n_inner").asInt(0));
        if (mlp <= 0) return;
        if (mlp % 8 != 0) {
            throw new ModelLoadException("intermediate_size=" + mlp
                    + " is not supported by the Jlama backend: the MLP width must be a multiple of 8"
                    + " (Jlama 0.8.4 fails on it); pad the MLP with zeros to a supported width");
        }
        if (mlp > 128 && mlp % 128 != 0) {
            throw new ModelLoadException("intermediate_size=" + mlp
                    + " is not supported by the Jlama backend: above 128 the MLP width must be a multiple of 128"
                    + " (Jlama 0.8.4 would silently compute wrong results); pad the MLP with zeros to "
                    + ((mlp + 127) / 128 * 128));
        }
    }
}
