package io.backstop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code backstop bench --help} as users read it. */
class BenchHelpTest {
    private static final Path README = Path.of(System.getProperty("backstop.root", ".."), "README.md");

    /** The "Commands:" section shows only each command's first description line: it must be a whole sentence. */
    @Test
    void everyCommandSummaryIsAWholeSentence() {
        String help = new CommandLine(new BenchMain()).getUsageMessage();
        List<String> entries = new ArrayList<>();
        boolean inCommands = false;
        for (String line : help.lines().toList()) {
            if (line.equals("Commands:")) inCommands = true;
            else if (inCommands && line.matches("  \\S.*")) entries.add(line.strip());
            else if (inCommands && !entries.isEmpty()) entries.set(entries.size() - 1, entries.getLast() + " " + line.strip());
        }
        assertThat(entries).hasSizeGreaterThan(5).allSatisfy(e -> assertThat(e).endsWith("."));
    }

    @Test
    void theReadmeAndTheHelpGiveTheSameQuickDuration() throws Exception {
        String quick = new CommandLine(new BenchMain()).getCommandSpec().findOption("--quick").description()[0];
        assertThat(quick).contains("about 3 min on 2 cores");
        assertThat(Files.readString(README)).containsPattern("scripts/backstop bench --quick +#.*about 3 min on 2 cores");
    }
}
