package io.backstop.engine.backend.gguf.file;

/** Metadata value types (ordinal = id) of the GGUF format, by their ids in the file. */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(8), ARRAY(12),
    UINT64(8), INT64(8), FLOAT64(8);

    /** The fewest bytes one value of this type takes in the file (a string's length field, an array's header). */
    final int minBytes;

    GgufValueType(int minBytes) {
        this.minBytes = minBytes;
    }

    public int id() {
        return ordinal();
    }

    public static GgufValueType byId(long id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[(int) id] : null;
    }
}
