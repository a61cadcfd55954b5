package io.backstop.bench.synthetic;

import io.backstop.engine.backend.gguf.quant.QuantMix;
import io.backstop.engine.hub.ProgressListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** A synthetic model by dtype name: a safetensors folder for Jlama, or a GGUF file for the native engine. */
public final class Synthetic {
    public static final String DTYPES = "f32, bf16, q4 (safetensors on Jlama); f16, q8_0, q4_0, q4_k_m (GGUF on the native engine)";

    private Synthetic() {}

    /** @throws IllegalArgumentException for an unknown dtype, naming the known ones */
    public static Path ensure(Shape s, String dtype, Path cache, ProgressListener progress) throws IOException {
        QuantMix mix = SyntheticGguf.mix(dtype);
        if (mix != null) return SyntheticGguf.ensure(s, mix, cache, progress);
        SyntheticModel.Dtype d;
        try {
            d = SyntheticModel.Dtype.valueOf(dtype.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown dtype '" + dtype + "'; use " + DTYPES);
        }
        return SyntheticModel.ensure(s, d, cache, progress);
    }
}
