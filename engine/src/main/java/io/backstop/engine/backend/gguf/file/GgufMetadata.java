package io.backstop.engine.backend.gguf.file;

import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF file's key/value metadata, in file order. Scalars are boxed Java values (integers of any
 * width as {@link Long}, floats as {@link Float} or {@link Double}, {@link Boolean}, {@link String});
 * arrays are {@code long[]} (any integer type), {@code float[]}, {@code double[]}, {@code boolean[]},
 * {@code String[]}, or {@code Object[]} for arrays of arrays. The typed getters name the key and
 * what was found when a value has the wrong type, so a bad file gets a clear message.
 */
public final class GgufMetadata {
    /** A value's type in the file; {@code element} is set for arrays. Kept so a value can be copied exactly. */
    public record Type(GgufValueType value, GgufValueType element) {}

    private final Map<String, Object> values;
    private final Map<String, Type> types;
    private final GgufFile.Problems problems;

    GgufMetadata(Map<String, Object> values, Map<String, Type> types, GgufFile.Problems problems) {
        this.values = Collections.unmodifiableMap(values);
        this.types = Collections.unmodifiableMap(types);
        this.problems = problems;
    }

    /** The type a key's value has in the file, or null when the key is absent. */
    public Type type(String key) {
        return types.get(key);
    }

    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The raw value, or null. */
    public Object get(String key) {
        return values.get(key);
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public String string(String key) {
        return typed(key, String.class, "a string");
    }

    public String string(String key, String fallback) {
        return has(key) ? string(key) : fallback;
    }

    public long integer(String key) {
        return typed(key, Long.class, "an integer");
    }

    public long integer(String key, long fallback) {
        return has(key) ? integer(key) : fallback;
    }

    /** An integer that must fit an int (sizes, counts, ids). */
    public int int32(String key) {
        long v = integer(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw problems.of("metadata '" + key + "' is out of range: " + v);
        return (int) v;
    }

    public int int32(String key, int fallback) {
        return has(key) ? int32(key) : fallback;
    }

    /** A float32 or float64 value as a float. */
    public float float32(String key) {
        Object v = require(key);
        if (v instanceof Float f) return f;
        if (v instanceof Double d) return d.floatValue();
        throw wrongType(key, v, "a float");
    }

    public float float32(String key, float fallback) {
        return has(key) ? float32(key) : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        return has(key) ? typed(key, Boolean.class, "a boolean") : fallback;
    }

    public String[] strings(String key) {
        return typed(key, String[].class, "an array of strings");
    }

    public float[] floats(String key) {
        return typed(key, float[].class, "an array of float32");
    }

    /** An integer array whose values must fit an int. */
    public int[] ints(String key) {
        long[] raw = typed(key, long[].class, "an array of integers");
        int[] out = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] < Integer.MIN_VALUE || raw[i] > Integer.MAX_VALUE) throw problems.of("metadata '" + key + "'[" + i + "] is out of range: " + raw[i]);
            out[i] = (int) raw[i];
        }
        return out;
    }

    private <T> T typed(String key, Class<T> type, String what) {
        Object v = require(key);
        if (!type.isInstance(v)) throw wrongType(key, v, what);
        return type.cast(v);
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) throw problems.of("metadata '" + key + "' is missing");
        return v;
    }

    private GgufFormatException wrongType(String key, Object v, String what) {
        return problems.of("metadata '" + key + "' should be " + what + " but is " + describe(v));
    }

    static String describe(Object v) {
        return switch (v) {
            case Long l -> "an integer";
            case Float f -> "a float";
            case Double d -> "a float64";
            case Boolean b -> "a boolean";
            case String s -> "a string";
            case long[] a -> "an array of " + a.length + " integers";
            case float[] a -> "an array of " + a.length + " float32";
            case double[] a -> "an array of " + a.length + " float64";
            case boolean[] a -> "an array of " + a.length + " booleans";
            case String[] a -> "an array of " + a.length + " strings";
            case Object[] a -> "an array of " + a.length + " arrays";
            default -> v.getClass().getSimpleName();
        };
    }
}
