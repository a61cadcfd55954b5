package io.backstop.server.guard.injection;

import io.backstop.server.guard.normalize.BlobDecoder;
import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.normalize.TextNormalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Scores a text for prompt injection / jailbreak in [0, 1]: the shipped classifier ({@link LinearModel})
 * on the normalised text and on every decoded base64/hex blob in it, combined with {@link InjectionRules}:
 * a strong rule hit scores at least {@link #STRONG_RULE_SCORE}; weak hits add {@link #WEAK_RULE_LOGIT}
 * each to the classifier's log-odds. Thread-safe; allocation is per call only.
 */
public final class InjectionDetector {
    /** Classpath resource of the model that {@code backstop guard train} writes. */
    public static final String MODEL_RESOURCE = "/io/backstop/server/guard/injection/injection-model.bin.gz";
    public static final double STRONG_RULE_SCORE = 0.99;
    public static final double WEAK_RULE_LOGIT = 1.0;

    /** The score, the classifier's part and the names of the rules that matched. */
    public record Result(double score, double classifierScore, List<String> rules) {}

    private final LinearModel model;

    public InjectionDetector(LinearModel model) {
        this.model = model;
    }

    /** The detector with the model shipped in the jar. */
    public static InjectionDetector shipped() {
        return Holder.SHIPPED;
    }

    private static final class Holder {
        static final InjectionDetector SHIPPED = new InjectionDetector(loadShipped());
    }

    static LinearModel loadShipped() {
        try (InputStream in = InjectionDetector.class.getResourceAsStream(MODEL_RESOURCE)) {
            if (in == null) throw new IllegalStateException("injection model " + MODEL_RESOURCE + " is missing from the jar (run: backstop guard train)");
            return LinearModel.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the injection model: " + e.getMessage(), e);
        }
    }

    public LinearModel model() {
        return model;
    }

    /** Threshold the model was trained with (a profile may set its own). */
    public double defaultThreshold() {
        return model.threshold();
    }

    public Result score(String text) {
        return score(TextNormalizer.normalize(text));
    }

    public Result score(NormalizedText t) {
        String s = t.text();
        double p = model.score(s);
        String lower = s.toLowerCase(Locale.ROOT);
        List<InjectionRules.Rule> hits = InjectionRules.matches(lower);
        for (BlobDecoder.Blob b : BlobDecoder.decode(s)) {
            String d = TextNormalizer.normalize(b.decoded()).text();
            p = Math.max(p, model.score(d));
            if (hits.isEmpty()) hits = InjectionRules.matches(d.toLowerCase(Locale.ROOT));
        }
        return new Result(combine(p, hits), p, hits.stream().map(InjectionRules.Rule::name).toList());
    }

    /** The final score from the classifier's probability and the rules that matched. */
    public static double combine(double p, List<InjectionRules.Rule> hits) {
        boolean strong = false;
        int weak = 0;
        for (InjectionRules.Rule r : hits) {
            if (r.strength() == InjectionRules.Strength.STRONG) strong = true;
            else weak++;
        }
        if (weak > 0) {
            double z = StrictMath.log(Math.max(p, 1e-9) / Math.max(1 - p, 1e-9)) + weak * WEAK_RULE_LOGIT;
            p = 1 / (1 + StrictMath.exp(-z));
        }
        return strong ? Math.max(p, STRONG_RULE_SCORE) : p;
    }
}
