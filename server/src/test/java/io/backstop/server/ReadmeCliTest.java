package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The README and {@code --help} describe the same flags. */
class ReadmeCliTest {
    private static final Path README = Path.of(System.getProperty("backstop.root", ".."), "README.md");
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*");
    private final CommandLine cli = new CommandLine(new Main());

    @Test
    void everyFlagInTheReadmesCommandLinesExists() throws IOException {
        List<String> missing = new ArrayList<>();
        for (String line : codeLines()) {
            String[] words = line.trim().split("\\s+");
            String command = words[0].equals("scripts/fetch-model") ? "fetch-model" : words.length > 1 && words[0].equals("scripts/backstop") ? words[1] : null;
            if (command == null || command.startsWith("-") || command.equals("bench")) continue;
            CommandLine sub = cli.getSubcommands().get(command);
            // nested commands (`guard eval`): descend while the next word names a subcommand
            for (int i = 2; sub != null && i < words.length && sub.getSubcommands().containsKey(words[i]); i++) {
                sub = sub.getSubcommands().get(words[i]);
            }
            String code = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
            Matcher m = FLAG.matcher(code);
            while (m.find()) if (sub == null || sub.getCommandSpec().findOption(m.group()) == null) missing.add(line.trim() + ": " + m.group());
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void everyFlagOfEveryCommandIsInTheReadme() throws IOException {
        String readme = Files.readString(README);
        List<String> undocumented = new ArrayList<>();
        collectUndocumented(cli, readme, undocumented);
        assertThat(undocumented).isEmpty();
    }

    private static void collectUndocumented(CommandLine command, String readme, List<String> undocumented) {
        command.getSubcommands().forEach((name, sub) -> {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp() || o.hidden()) continue;
                if (!readme.contains(o.longestName())) undocumented.add(sub.getCommandSpec().qualifiedName() + " " + o.longestName());
            }
            collectUndocumented(sub, readme, undocumented);
        });
    }

    /** Lines of the README's fenced code blocks. */
    private static List<String> codeLines() throws IOException {
        List<String> out = new ArrayList<>();
        boolean code = false;
        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("```")) code = !code;
            else if (code) out.add(line);
        }
        return out;
    }
}
