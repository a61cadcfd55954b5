package io.backstop.server.guard.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backstop.server.guard.injection.InjectionDetector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The injection detector on ordinary text that is in no data set: the corpus guard fp-check builds, smaller. */
class OrdinaryTextTest {
    private final InjectionDetector d = InjectionDetector.shipped();

    private double falsePositiveRate(List<OrdinaryText.Chunk> chunks) {
        long flagged = chunks.stream().filter(c -> d.score(c.text()).score() >= d.defaultThreshold()).count();
        return (double) flagged / chunks.size();
    }

    /** The turns include instruction-like ones on purpose ("From now on, please answer in British English"). */
    @Test
    void ordinaryChatTurnsAreAlmostNeverInjections() throws Exception {
        List<OrdinaryText.Chunk> turns = OrdinaryText.chatTurns();
        assertThat(turns).hasSizeGreaterThanOrEqualTo(40);
        assertThat(falsePositiveRate(turns)).isLessThanOrEqualTo(2.0 / 40);
    }

    @Test
    void javaSourcesAndReadmesOfThisMachineAreFlaggedAtMostOnceInAHundred() throws Exception {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        assumeTrue(Files.isRegularFile(zip), "this JDK ships no src.zip");
        List<OrdinaryText.Chunk> chunks = new ArrayList<>(OrdinaryText.javaSources(zip, "java.base/java/util/", 300));
        chunks.addAll(OrdinaryText.readmes(Path.of("/usr/share/doc"), 300));
        assertThat(chunks.size()).isGreaterThan(250);
        assertThat(falsePositiveRate(chunks)).isLessThanOrEqualTo(0.01);
    }

    @Test
    void pythonSourcesGiveDocstringsAsProseAndCodeInChunksButSkipTests(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String doc = "Return the password hash of the user, ignoring case in the user name, as the system's crypt(3) does.";
        Files.writeString(dir.resolve("auth.py"), "def hash(user):\n    \"\"\"" + doc + "\"\"\"\n    return crypt(user.lower())  # the system's own hash function\n");
        Files.createDirectories(dir.resolve("test"));
        Files.writeString(dir.resolve("test/test_auth.py"), "\"\"\"" + doc.replace("user", "tester") + "\"\"\"\n");
        List<OrdinaryText.Chunk> chunks = OrdinaryText.pythonSources(dir, 100);
        assertThat(chunks).extracting(OrdinaryText.Chunk::source).containsExactly("auth.py#doc", "auth.py");
        assertThat(chunks.getFirst().text()).isEqualTo(doc);
        assertThat(chunks.get(1).text()).startsWith("def hash(user):").contains("crypt(user.lower())");
    }

    @Test
    void theCorpusIsBuiltTheSameWayEveryTime() throws Exception {
        Path zip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        assumeTrue(Files.isRegularFile(zip));
        assertThat(OrdinaryText.javaSources(zip, "java.base/java/time/", 50)).isEqualTo(OrdinaryText.javaSources(zip, "java.base/java/time/", 50));
    }
}
