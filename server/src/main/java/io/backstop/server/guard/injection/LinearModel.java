package io.backstop.server.guard.injection;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A logistic-regression model over hashed features: {@code p = sigmoid(w·x + b)}. Stored as gzip'd
 * 16-bit fixed-point weights (a 2^18-bucket model is a few hundred KB), with the feature width and
 * the threshold chosen at training time.
 */
public final class LinearModel {
    private static final int MAGIC = 0x42534A31; // "BSJ1"
    private final FeatureHasher hasher;
    private final float[] weights;
    private final float bias;
    private final double threshold;

    public LinearModel(FeatureHasher hasher, float[] weights, float bias, double threshold) {
        if (weights.length != hasher.dimension()) throw new IllegalArgumentException("weights do not match the feature width");
        this.hasher = hasher;
        this.weights = weights;
        this.bias = bias;
        this.threshold = threshold;
    }

    public FeatureHasher hasher() {
        return hasher;
    }

    /** Threshold that training chose (by cross-validation on the training rows). */
    public double threshold() {
        return threshold;
    }

    public double score(String normalized) {
        return score(hasher.features(normalized));
    }

    public double score(SparseVector x) {
        double z = bias;
        for (int i = 0; i < x.size(); i++) z += weights[x.index()[i]] * x.value()[i];
        return 1 / (1 + StrictMath.exp(-z));
    }

    public void write(OutputStream out) throws IOException {
        float max = 1e-9f;
        for (float w : weights) max = Math.max(max, Math.abs(w));
        float scale = max / Short.MAX_VALUE;
        // Fixed gzip header fields (no mtime): the same model gives the same bytes.
        try (DataOutputStream d = new DataOutputStream(new GZIPOutputStream(out, 1 << 16))) {
            d.writeInt(MAGIC);
            d.writeByte(hasher.bits());
            d.writeFloat(bias);
            d.writeDouble(threshold);
            d.writeFloat(scale);
            for (float w : weights) d.writeShort(Math.round(w / scale));
        }
    }

    public static LinearModel read(InputStream in) throws IOException {
        try (DataInputStream d = new DataInputStream(new GZIPInputStream(in, 1 << 16))) {
            if (d.readInt() != MAGIC) throw new IOException("not an injection model (bad magic number)");
            FeatureHasher h = new FeatureHasher(d.readUnsignedByte());
            float bias = d.readFloat();
            double threshold = d.readDouble();
            float scale = d.readFloat();
            float[] w = new float[h.dimension()];
            for (int i = 0; i < w.length; i++) w[i] = d.readShort() * scale;
            return new LinearModel(h, w, bias, threshold);
        }
    }
}
