package io.backstop.server.guard;

import io.backstop.server.guard.eval.GuardData;
import io.backstop.server.guard.eval.GuardRow;
import io.backstop.server.guard.eval.HoldoutSplit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** The training side of our split of the shared guardrail data, and seeded fake tokens (never real-looking literals in the sources). */
public final class GuardTestData {
    private GuardTestData() {}

    public static Path shared(String file) {
        return Path.of(System.getProperty("backstop.shared", "../shared")).toAbsolutePath().normalize().resolve("guardrails").resolve(file);
    }

    public static List<GuardRow> trainSide(String file) {
        try {
            return HoldoutSplit.split(GuardData.read(shared(file))).train();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A profile named "p" from the YAML of its body (indented under guardrails.profiles.p). */
    public static GuardProfile profile(String yaml) {
        try {
            return io.backstop.server.guard.config.GuardrailsConfigParser.parse(
                    new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                            .readTree("profiles:\n  p:\n" + yaml.indent(4))).get("p");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} random chars from {@code alphabet}, the same for the same seed. */
    public static String random(long seed, String alphabet, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return b.toString();
    }

    public static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    public static final String HEX = "0123456789abcdef";
}
