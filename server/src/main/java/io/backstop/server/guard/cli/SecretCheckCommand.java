package io.backstop.server.guard.cli;

import io.backstop.server.guard.eval.GuardData;
import io.backstop.server.guard.eval.GuardRow;
import io.backstop.server.guard.eval.HoldoutSplit;
import io.backstop.server.guard.eval.SecretGeneralization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop guard secret-check}: the secret detector on families it has not seen, and on hard negatives. */
@Command(name = "secret-check", mixinStandardHelpOptions = true,
        description = {"Secret detection beyond the known token formats, without the held-out rows.",
                "On the training side of our split of --data: precision and recall of the secret detector, the recall of",
                "its generic rules alone (every format rule off) and leave-one-family-out (for each secret, the format",
                "rules that found it off), per row and averaged per family. Then the false positives on a pinned corpus",
                "of hard negatives (hashes, git ids, lock files, UUIDs, base64 prose, code and docs; no credential)."})
public final class SecretCheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "FILE", description = "Labelled PII rows (default: ../shared/guardrails/pii.jsonl, its training side).")
    Path data;

    @Option(names = "--all-rows", description = "Measure every row of --data, not only the training side of our split (for a file that is already a split side).")
    boolean allRows;

    @Option(names = "--negatives", paramLabel = "FILE", description = "A hard-negative corpus, gzip'd JSON Lines {\"source\",\"text\"} (default: the pinned one).")
    Path negatives;

    @Option(names = "--show", description = "Print the secrets that leave-one-family-out misses (source ids and rules, no text).")
    boolean show;

    @Override
    public Integer call() throws Exception {
        // Checked before any work, so a typo does not cost a full run.
        if (negatives != null && !Files.isRegularFile(negatives)) throw new CommandLine.ParameterException(spec.commandLine(), "--negatives " + negatives + ": no such file");
        Path file = data != null ? data : GuardPaths.sharedData("pii.jsonl");
        List<GuardRow> rows;
        SecretGeneralization.Report r;
        try {
            rows = GuardData.read(file);
            r = SecretGeneralization.measure(allRows ? rows : HoldoutSplit.split(rows).train());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        System.out.printf(Locale.ROOT, "labelled rows (%s): %d secrets, %d found, %d false of %d negatives: precision %.3f, recall %.3f%n",
                allRows ? "all" : "training side", r.secrets(), r.found(), r.falsePositives(), r.negatives(), r.precision(), r.recall());
        System.out.printf(Locale.ROOT, "generic rules alone:      recall %.3f (%d of %d), per family %.3f%n",
                r.genericAlone().rate(), r.genericAlone().found(), r.secrets(), r.genericAlone().families());
        System.out.printf(Locale.ROOT, "leave-one-family-out:     recall %.3f (%d of %d), per family %.3f%n",
                r.leaveOneFamilyOut().rate(), r.leaveOneFamilyOut().found(), r.secrets(), r.leaveOneFamilyOut().families());
        if (show) r.misses().forEach(m -> System.err.println("missed without its rule: " + m));
        int texts = 0, flagged = 0;
        try (InputStream in = negatives != null ? Files.newInputStream(negatives) : SecretGeneralization.pinnedHardNegatives()) {
            for (SecretGeneralization.NegativeSource s : SecretGeneralization.hardNegatives(in)) {
                System.out.printf(Locale.ROOT, "hard negatives %-14s %5d texts %3d flagged %s%n", s.source(), s.texts(), s.flagged(), s.flagged() == 0 ? "" : s.flaggedBy());
                texts += s.texts();
                flagged += s.flagged();
            }
        } catch (java.io.IOException | RuntimeException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--negatives: not a gzip'd JSON Lines corpus (" + e.getMessage() + ")");
        }
        System.out.printf(Locale.ROOT, "hard negatives all            %5d texts %3d flagged: false_positive_rate %.4f%n", texts, flagged, texts == 0 ? 0.0 : (double) flagged / texts);
        return 0;
    }
}
