package io.backstop.server.guard.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiled validators by schema text, so a client that sends the same schema with every request
 * compiles it once. Least recently used entries leave first; at most {@value #CAPACITY} are kept.
 */
public final class ValidatorCache {
    static final int CAPACITY = 256;
    private static final Map<String, JsonAnswerValidator> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JsonAnswerValidator> eldest) {
            return size() > CAPACITY;
        }
    };

    private ValidatorCache() {}

    /** The validator of {@code schema}; {@link IllegalArgumentException} when it is not a usable schema. */
    public static JsonAnswerValidator of(JsonNode schema) {
        String key = schema.toString();
        synchronized (CACHE) {
            JsonAnswerValidator v = CACHE.get(key);
            if (v != null) return v;
        }
        JsonAnswerValidator v = JsonAnswerValidator.compile(schema);
        synchronized (CACHE) {
            CACHE.put(key, v);
        }
        return v;
    }
}
