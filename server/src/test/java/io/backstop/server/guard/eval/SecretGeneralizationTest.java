package io.backstop.server.guard.eval;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.GuardTestData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class SecretGeneralizationTest {
    private static GuardRow row(String text, boolean secret, String source) {
        return new GuardRow(text, null, secret ? Set.of("SECRET") : Set.of(), source, "{}");
    }

    @Test
    void leaveOneFamilyOutCountsWhatTheOtherRulesStillFind() {
        List<GuardRow> rows = List.of(
                row("ghp_" + random(201, ALNUM, 36), true, "a:github#1"),                      // GitHub's rule off: still a prefixed random token
                row("AKIA" + random(202, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), true, "a:aws#1"), // AWS key id alone: only its rule knows it
                row("nothing to see here", false, "a:none#1"));
        SecretGeneralization.Report r = SecretGeneralization.measure(rows);
        assertThat(r.secrets()).isEqualTo(2);
        assertThat(r.found()).isEqualTo(2);
        assertThat(r.falsePositives()).isZero();
        assertThat(r.leaveOneFamilyOut().found()).isEqualTo(1);
        assertThat(r.leaveOneFamilyOut().families()).isEqualTo(0.5);
        assertThat(r.misses()).singleElement().asString().startsWith("a:aws#1");
    }

    @Test
    void hardNegativesAreCountedPerSource() throws Exception {
        String lines = "{\"source\":\"git\",\"text\":\"commit 3f9a1c0d5e7b2a4c6d8e0f1a3b5c7d9e1f2a4b6c\"}\n"
                + "{\"source\":\"env\",\"text\":\"ZORBLY_TOKEN=" + random(203, ALNUM, 30) + "\"}\n";
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(lines.getBytes(StandardCharsets.UTF_8));
        }
        var sources = SecretGeneralization.hardNegatives(new ByteArrayInputStream(gz.toByteArray()));
        assertThat(sources).extracting(SecretGeneralization.NegativeSource::source).containsExactly("git", "env");
        assertThat(sources.get(0).flagged()).isZero();
        assertThat(sources.get(1).flagged()).isEqualTo(1);
        assertThat(sources.get(1).flaggedBy()).isNotEmpty();
    }

    /** The pinned corpus: hashes, git ids, lock files, UUIDs, base64 prose, docs, java.base lines. Only a JWT in PyJWT's README example is flagged (by the JWT rule, by design). */
    @Test
    void thePinnedHardNegativesStayUnflagged() throws Exception {
        int texts = 0, flagged = 0;
        for (var s : SecretGeneralization.hardNegatives(SecretGeneralization.pinnedHardNegatives())) {
            texts += s.texts();
            flagged += s.flagged();
            assertThat(s.flaggedBy().keySet()).as(s.source()).isSubsetOf(Set.of("jwt"));
        }
        assertThat(texts).isGreaterThan(5000);
        assertThat(flagged).isLessThanOrEqualTo(1);
    }

    @Test
    void onTheTrainingSideTheFullDetectorStaysPreciseAndTheGenericRulesFindHalfWithoutTheirFormats() {
        SecretGeneralization.Report r = SecretGeneralization.measure(GuardTestData.trainSide("pii.jsonl"));
        assertThat(r.recall()).isGreaterThanOrEqualTo(0.99);
        assertThat(r.precision()).isGreaterThanOrEqualTo(0.99);
        assertThat(r.leaveOneFamilyOut().families()).as("per family").isGreaterThan(0.6);
    }
}
