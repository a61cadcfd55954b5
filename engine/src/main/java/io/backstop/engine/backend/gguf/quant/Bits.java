package io.backstop.engine.backend.gguf.quant;

/** The rounding helpers of llama.cpp's quantizers, reproduced exactly. */
final class Bits {
    private Bits() {}

    /** ggml's {@code nearest_int}: round half to even via the float adder (exact for |x| ≤ 2^22). */
    static int nearestInt(float x) {
        float v = x + 12582912f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    /** C's {@code roundf}: half away from zero. */
    static float roundf(float x) {
        double a = Math.floor(Math.abs((double) x) + 0.5);
        return (float) Math.copySign(a, x);
    }

    /** F32 → F16, round to nearest even, little-endian into dst. */
    static void putF16(byte[] dst, int off, float v) {
        short h = Float.floatToFloat16(v);
        dst[off] = (byte) h;
        dst[off + 1] = (byte) (h >> 8);
    }

    static float f16(byte[] src, int off) {
        return Float.float16ToFloat((short) ((src[off] & 0xFF) | (src[off + 1] << 8)));
    }
}
