package io.backstop.server.guard.injection;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains the injection {@link LinearModel}: logistic regression on naive-Bayes-scaled features (NBSVM) by
 * AdaGrad SGD with L2, rows visited in an order drawn from the seed, so the same rows and options give
 * the same weights (and model bytes) on any machine. The threshold is picked by k-fold cross-validation on the same training rows: the
 * highest-F1 threshold whose false-positive rate stays under {@link Options#maxFalsePositiveRate()}.
 * Training and scoring use {@code StrictMath}'s exp and log: {@code Math}'s may be CPU intrinsics whose
 * last bits differ between machines, and one bit is enough to change the model file.
 */
public final class InjectionTrainer {
    /** Training options; {@link #defaults()} are what {@code backstop guard train} uses. */
    public record Options(int bits, int epochs, double learningRate, double l2, long seed, int folds, double maxFalsePositiveRate,
                          double nbSmoothing) {
        public static Options defaults() {
            return new Options(18, 12, 0.2, 1e-5, 20261201L, 5, 0.025, 0.1);
        }

        public Options withSeed(long seed, double maxFalsePositiveRate) {
            return new Options(bits, epochs, learningRate, l2, seed, folds, maxFalsePositiveRate, nbSmoothing);
        }
    }

    /**
     * A training example: normalised text and whether it is an injection. An {@code auxiliary} example
     * (ordinary text from outside the labelled data) is trained on but does not count when the
     * threshold is chosen, so thousands of easy negatives cannot loosen it.
     */
    public record Example(String text, boolean injection, boolean auxiliary) {
        public Example(String text, boolean injection) {
            this(text, injection, false);
        }
    }

    private final Options o;
    private final FeatureHasher hasher;

    public InjectionTrainer(Options o) {
        this.o = o;
        this.hasher = new FeatureHasher(o.bits());
    }

    public LinearModel train(List<Example> rows) {
        List<SparseVector> x = new ArrayList<>(rows.size());
        boolean[] y = new boolean[rows.size()];
        List<List<InjectionRules.Rule>> hits = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            x.add(hasher.features(rows.get(i).text()));
            y[i] = rows.get(i).injection();
            hits.add(InjectionRules.matches(rows.get(i).text().toLowerCase(java.util.Locale.ROOT)));
        }
        double[] s = outOfFoldScores(x, y);
        for (int i = 0; i < s.length; i++) s[i] = InjectionDetector.combine(s[i], hits.get(i));
        int data = 0;
        for (Example e : rows) if (!e.auxiliary()) data++;
        double[] ds = new double[data];
        boolean[] dy = new boolean[data];
        for (int i = 0, k = 0; i < rows.size(); i++) {
            if (rows.get(i).auxiliary()) continue;
            ds[k] = s[i];
            dy[k++] = y[i];
        }
        lastCrossValidation = ds.clone();
        double threshold = bestThreshold(ds, dy);
        float[] w = new float[hasher.dimension()];
        float b = fit(x, y, allIndices(rows.size()), w);
        return new LinearModel(hasher, w, b, threshold);
    }

    /** Scores of each row by a model trained on the other folds (folds drawn from the seed). */
    double[] outOfFoldScores(List<SparseVector> x, boolean[] y) {
        int n = x.size();
        int[] fold = new int[n];
        int[] order = shuffled(n, new SplittableRandom(o.seed() ^ 0x5DEECE66DL));
        for (int i = 0; i < n; i++) fold[order[i]] = i % o.folds();
        double[] scores = new double[n];
        for (int f = 0; f < o.folds(); f++) {
            List<Integer> train = new ArrayList<>();
            for (int i = 0; i < n; i++) if (fold[i] != f) train.add(i);
            float[] w = new float[hasher.dimension()];
            float b = fit(x, y, train.stream().mapToInt(Integer::intValue).toArray(), w);
            LinearModel m = new LinearModel(hasher, w, b, 0.5);
            for (int i = 0; i < n; i++) if (fold[i] == f) scores[i] = m.score(x.get(i));
        }
        return scores;
    }

    /** Out-of-fold scores (rules included) of the last {@link #train} call's non-auxiliary rows, in row order. */
    public double[] lastCrossValidation() {
        return lastCrossValidation.clone();
    }

    private double[] lastCrossValidation = new double[0];

    private double bestThreshold(double[] s, boolean[] y) {
        double best = 0.5, bestF1 = -1;
        for (int t = 5; t <= 95; t++) {
            double th = t / 100.0;
            int tp = 0, fp = 0, fn = 0, neg = 0;
            for (int i = 0; i < s.length; i++) {
                boolean p = s[i] >= th;
                if (y[i]) {
                    if (p) tp++;
                    else fn++;
                } else {
                    neg++;
                    if (p) fp++;
                }
            }
            double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
            if ((double) fp / Math.max(1, neg) <= o.maxFalsePositiveRate() && f1 > bestF1) {
                bestF1 = f1;
                best = th;
            }
        }
        return best;
    }

    private float fit(List<SparseVector> x, boolean[] y, int[] rows, float[] w) {
        float[] r = ratios(x, y, rows, w.length, o.nbSmoothing());
        float b = fitScaled(x, y, rows, w, r);
        for (int j = 0; j < w.length; j++) w[j] *= r[j]; // w·(r∘x) = (w∘r)·x: the shipped model stays one weight vector
        return b;
    }

    /**
     * Naive-Bayes log-count ratios of each feature over the given rows, log(p_j/|p|) - log(q_j/|q|) with
     * p, q the summed feature values of injections and of benign rows plus {@code smoothing}: the
     * regression learns on features scaled by them (NBSVM, Wang and Manning 2012), which lifts words
     * that mostly occur in attacks. Ordinary text counts as benign here too.
     */
    private static float[] ratios(List<SparseVector> x, boolean[] y, int[] rows, int dim, double smoothing) {
        double[] p = new double[dim], q = new double[dim];
        for (int k : rows) {
            SparseVector v = x.get(k);
            double[] t = y[k] ? p : q;
            for (int i = 0; i < v.size(); i++) t[v.index()[i]] += v.value()[i];
        }
        double ps = 0, qs = 0;
        for (int j = 0; j < dim; j++) {
            p[j] += smoothing;
            q[j] += smoothing;
            ps += p[j];
            qs += q[j];
        }
        float[] r = new float[dim];
        for (int j = 0; j < dim; j++) r[j] = (float) (StrictMath.log(p[j] / ps) - StrictMath.log(q[j] / qs));
        return r;
    }

    private float fitScaled(List<SparseVector> x, boolean[] y, int[] rows, float[] w, float[] r) {
        float[] g2 = new float[w.length];
        double b = 0, gb2 = 1e-8;
        SplittableRandom rnd = new SplittableRandom(o.seed());
        for (int epoch = 0; epoch < o.epochs(); epoch++) {
            int[] order = shuffled(rows.length, rnd);
            for (int k : order) {
                SparseVector v = x.get(rows[k]);
                double z = b;
                // x_j * r_j first, in float: the order of the products is part of the model bytes
                for (int i = 0; i < v.size(); i++) z += w[v.index()[i]] * (v.value()[i] * r[v.index()[i]]);
                double p = 1 / (1 + StrictMath.exp(-z));
                double err = p - (y[rows[k]] ? 1 : 0);
                for (int i = 0; i < v.size(); i++) {
                    int j = v.index()[i];
                    double g = err * (v.value()[i] * r[j]) + o.l2() * w[j];
                    g2[j] += (float) (g * g);
                    w[j] -= (float) (o.learningRate() * g / Math.sqrt(g2[j] + 1e-8));
                }
                gb2 += err * err;
                b -= o.learningRate() * err / Math.sqrt(gb2);
            }
        }
        return (float) b;
    }

    private static int[] allIndices(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private static int[] shuffled(int n, SplittableRandom rnd) {
        int[] a = allIndices(n);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
