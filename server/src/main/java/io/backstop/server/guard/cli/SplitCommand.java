package io.backstop.server.guard.cli;

import io.backstop.server.guard.eval.GuardData;
import io.backstop.server.guard.eval.GuardRow;
import io.backstop.server.guard.eval.HoldoutSplit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop guard split}: our deterministic held-out split of the shared files, written as files for {@code guard eval}. */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = {"Write our held-out split of the data files.",
                "The train and held-out sides of a deterministic 80/20 split (stratified by source file and",
                "label) of each data file: NAME.train.jsonl and NAME.heldout.jsonl in --out. The detectors are trained",
                "and tuned on the train side only; evaluate them on the held-out side."})
public final class SplitCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "FILE", description = "Files to split (default: prompt-injection.jsonl and pii.jsonl in ../shared/guardrails).")
    List<Path> data;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the split files (default: server/target/guard-split).")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<Path> files = data != null ? data : List.of(GuardPaths.sharedData("prompt-injection.jsonl"), GuardPaths.sharedData("pii.jsonl"));
        Path dir = out != null ? out : GuardPaths.home().resolve("server/target/guard-split");
        Files.createDirectories(dir);
        for (Path f : files) {
            List<GuardRow> rows;
            try {
                rows = GuardData.read(f);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            HoldoutSplit.Parts parts = HoldoutSplit.split(rows);
            String name = f.getFileName().toString().replaceFirst("\\.jsonl$", "");
            write(dir.resolve(name + ".train.jsonl"), parts.train());
            write(dir.resolve(name + ".heldout.jsonl"), parts.heldOut());
            System.err.printf("guard split: %s → %d train, %d held out (%s)%n", f.getFileName(), parts.train().size(), parts.heldOut().size(), dir);
        }
        return 0;
    }

    private static void write(Path p, List<GuardRow> rows) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        for (GuardRow r : rows) b.append(r.line()).append('\n');
        Files.writeString(p, b, StandardCharsets.UTF_8);
    }
}
