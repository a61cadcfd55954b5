package io.backstop.server.guard.cli;

import io.backstop.server.guard.eval.BinaryMetrics;
import io.backstop.server.guard.eval.GuardData;
import io.backstop.server.guard.eval.GuardRow;
import io.backstop.server.guard.eval.HoldoutSplit;
import io.backstop.server.guard.eval.OrdinaryText;
import io.backstop.server.guard.injection.InjectionTrainer;
import io.backstop.server.guard.injection.LinearModel;
import io.backstop.server.guard.normalize.TextNormalizer;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop guard train}: the injection classifier, trained reproducibly from labelled rows. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train the prompt-injection classifier, reproducibly.",
                "Hashed word and char n-grams, logistic regression,",
                "on the training side of our held-out split of --data, and write the model file the server ships.",
                "Needs only the data file: the same data, seed and options give the same bytes at any commit, on any machine."})
public final class TrainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "FILE", description = "Labelled injection rows, JSON Lines (default: ../shared/guardrails/prompt-injection.jsonl).")
    Path data;

    @Option(names = "--out", paramLabel = "FILE", description = "Model file to write (default: the resource in server/src/main/resources).")
    Path out;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for the row order and folds (default: ${DEFAULT-VALUE}).", defaultValue = "20261201")
    long seed;

    @Option(names = "--max-fpr", paramLabel = "RATE", defaultValue = "0.025",
            description = "Pick the threshold with the best cross-validated F1 whose false-positive rate stays at or under RATE (default: ${DEFAULT-VALUE}).")
    double maxFpr;

    @Option(names = "--all-rows", description = "Train on every row instead of only the training side of the split.")
    boolean allRows;

    @Option(names = "--ordinary", paramLabel = "DIR", split = ",",
            description = {"Ordinary text added as benign examples: 'pinned' (default: the corpus committed with the server,",
                    "chunks of Backstop's own sources, of Python's standard library and written chat turns, so any commit retrains",
                    "the same model), 'none', or folders of this checkout",
                    "whose .java files (code and Javadoc) are chunked instead (the guard package, which quotes attacks, is skipped)."})
    List<String> ordinaryFolders;

    @Option(names = "--ordinary-max", paramLabel = "N", defaultValue = "1500", description = "At most N ordinary-text chunks from folders (default: ${DEFAULT-VALUE}).")
    int ordinaryMax;

    /** The guard package quotes injection phrases (its rules and tests): never a benign example. */
    static final List<String> ORDINARY_EXCLUDED = List.of("/guard/");

    @Override
    public Integer call() throws Exception {
        Path file = data != null ? data : GuardPaths.sharedData("prompt-injection.jsonl");
        List<GuardRow> rows = read(file);
        if (!rows.getFirst().isInjectionRow()) throw new CommandLine.ParameterException(spec.commandLine(), file + " holds PII rows, not injection labels");
        List<GuardRow> train = allRows ? rows : HoldoutSplit.split(rows).train();
        InjectionTrainer.Options o = InjectionTrainer.Options.defaults().withSeed(seed, maxFpr);
        InjectionTrainer trainer = new InjectionTrainer(o);
        List<InjectionTrainer.Example> examples = new java.util.ArrayList<>(train.stream()
                .map(r -> new InjectionTrainer.Example(TextNormalizer.normalize(r.text()).text(), r.injection())).toList());
        int ordinary = 0;
        for (OrdinaryText.Chunk c : ordinaryChunks()) {
            examples.add(new InjectionTrainer.Example(TextNormalizer.normalize(c.text()).text(), false, true));
            ordinary++;
        }
        LinearModel model = trainer.train(examples);
        double[] cv = trainer.lastCrossValidation();
        boolean[] pred = new boolean[cv.length], actual = new boolean[cv.length];
        for (int i = 0; i < cv.length; i++) {
            pred[i] = cv[i] >= model.threshold();
            actual[i] = train.get(i).injection();
        }
        BinaryMetrics m = BinaryMetrics.of(pred, actual);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        model.write(bytes);
        Path target = out != null ? out : GuardPaths.modelResource();
        if (target.getParent() != null) Files.createDirectories(target.getParent());
        Files.write(target, bytes.toByteArray());
        System.err.printf(Locale.ROOT, "guard train: %d ordinary-text chunks as benign examples%n", ordinary);
        System.err.printf(Locale.ROOT, "guard train: %d rows (%s), %d-fold cross-validation at threshold %.2f: precision %.3f recall %.3f f1 %.3f fpr %.3f%n",
                train.size(), allRows ? "all" : "training side of the split", o.folds(), model.threshold(), m.precision(), m.recall(), m.f1(), m.falsePositiveRate());
        System.err.printf(Locale.ROOT, "guard train: wrote %s (%d bytes)%n", target, bytes.size());
        return 0;
    }

    private List<OrdinaryText.Chunk> ordinaryChunks() {
        List<String> folders = ordinaryFolders == null ? List.of("pinned") : ordinaryFolders;
        try {
            if (folders.equals(List.of("none"))) return List.of();
            if (folders.equals(List.of("pinned"))) return OrdinaryText.trainingCorpus();
            return OrdinaryText.javaSourceTrees(GuardPaths.home(), folders, ORDINARY_EXCLUDED, ordinaryMax);
        } catch (java.io.IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--ordinary: " + e.getMessage() + " (give pinned, none or folders of this checkout)");
        }
    }

    private List<GuardRow> read(Path file) throws java.io.IOException {
        try {
            return GuardData.read(file);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
