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
            String code = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
            Matcher m = FLAG.matcher(code);
            while (m.find()) if (option(command, m.group()) == null) missing.add(command + " " + m.group());
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void everyFlagOfEveryCommandIsInTheReadme() throws IOException {
        String readme = Files.readString(README);
        List<String> undocumented = new ArrayList<>();
        cli.getSubcommands().forEach((name, sub) -> {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp() || o.hidden()) continue;
                if (!readme.contains(o.longestName())) undocumented.add(name + " " + o.longestName());
            }
        });
        assertThat(undocumented).isEmpty();
    }

    private OptionSpec option(String command, String flag) {
        CommandLine sub = cli.getSubcommands().get(command);
        return sub == null ? null : sub.getCommandSpec().findOption(flag);
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
