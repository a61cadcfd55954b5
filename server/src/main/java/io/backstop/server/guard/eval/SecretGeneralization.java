package io.backstop.server.guard.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.guard.normalize.TextNormalizer;
import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.secret.SecretDetector;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * How the secret detector might do on token families it has never seen, measured without the held-out
 * rows: on labelled (training-side) rows, the recall of the generic rules alone (every format rule off)
 * and leave-one-family-out (for each secret, the format rules that found it switched off, the rest on);
 * both per row and averaged per family (source file, e.g. one gitleaks rule's examples), since a family
 * with many examples would otherwise weigh most. And its false positives on a pinned corpus of hard
 * negatives: hashes, ids, lock files, UUIDs, base64 prose, code and documentation that hold no credential.
 */
public final class SecretGeneralization {
    /** The pinned hard-negative corpus (JSON Lines {@code {"source","text"}}, gzip'd), built as the README describes. */
    public static final String HARD_NEGATIVES = "secret-hard-negatives.jsonl.gz";

    public record Recall(int found, int total, double families) {
        public double rate() {
            return total == 0 ? 0 : (double) found / total;
        }
    }

    /** One labelled text set's figures: the full detector's precision/recall, and the recall without the format rules. */
    public record Report(int secrets, int found, int falsePositives, int negatives, Recall genericAlone, Recall leaveOneFamilyOut, List<String> misses) {
        public double recall() {
            return secrets == 0 ? 0 : (double) found / secrets;
        }

        public double precision() {
            return found + falsePositives == 0 ? 0 : (double) found / (found + falsePositives);
        }
    }

    /** Flagged texts of one source of the hard-negative corpus; {@code flaggedBy} names the rules that fired. */
    public record NegativeSource(String source, int texts, int flagged, Map<String, Integer> flaggedBy) {}

    private SecretGeneralization() {}

    public static Report measure(List<GuardRow> rows) {
        SecretDetector full = new SecretDetector();
        SecretDetector generic = new SecretDetector(SecretDetector.formatRules());
        int secrets = 0, found = 0, fp = 0, negatives = 0, genericFound = 0, lofoFound = 0;
        Map<String, int[]> families = new TreeMap<>(); // family → {secrets, generic found, lofo found}
        List<String> misses = new ArrayList<>();
        for (GuardRow r : rows) {
            if (r.isInjectionRow()) throw new IllegalArgumentException("secret-check needs PII rows (a list of types per row), not injection rows");
            Set<String> rules = rules(full, r.text());
            if (!r.types().contains(SecretDetector.TYPE)) {
                negatives++;
                if (!rules.isEmpty()) fp++;
                continue;
            }
            secrets++;
            if (!rules.isEmpty()) found++;
            int[] fam = families.computeIfAbsent(r.sourceFile(), k -> new int[3]);
            fam[0]++;
            if (!rules(generic, r.text()).isEmpty()) {
                genericFound++;
                fam[1]++;
            }
            Set<String> off = new HashSet<>(rules);
            off.retainAll(SecretDetector.formatRules());
            if (!rules(off.isEmpty() ? full : new SecretDetector(off), r.text()).isEmpty()) {
                lofoFound++;
                fam[2]++;
            } else misses.add(r.source() + " " + rules);
        }
        double genericFamilies = 0, lofoFamilies = 0;
        for (int[] f : families.values()) {
            genericFamilies += (double) f[1] / f[0];
            lofoFamilies += (double) f[2] / f[0];
        }
        int n = Math.max(1, families.size());
        return new Report(secrets, found, fp, negatives, new Recall(genericFound, secrets, genericFamilies / n),
                new Recall(lofoFound, secrets, lofoFamilies / n), List.copyOf(misses));
    }

    /** The full detector on every text of a hard-negative corpus, per source. */
    public static List<NegativeSource> hardNegatives(InputStream gzipJsonLines) throws IOException {
        ObjectMapper json = new ObjectMapper();
        SecretDetector d = new SecretDetector();
        Map<String, NegativeSource> out = new LinkedHashMap<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(gzipJsonLines), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode n = json.readTree(line);
                String source = n.path("source").asText("?");
                Set<String> rules = rules(d, n.path("text").asText());
                NegativeSource s = out.getOrDefault(source, new NegativeSource(source, 0, 0, new TreeMap<>()));
                for (String rule : rules) s.flaggedBy().merge(rule, 1, Integer::sum);
                out.put(source, new NegativeSource(source, s.texts() + 1, s.flagged() + (rules.isEmpty() ? 0 : 1), s.flaggedBy()));
            }
        }
        return List.copyOf(out.values());
    }

    public static InputStream pinnedHardNegatives() {
        InputStream in = SecretGeneralization.class.getResourceAsStream(HARD_NEGATIVES);
        if (in == null) throw new IllegalStateException("resource " + HARD_NEGATIVES + " is missing from the jar");
        return in;
    }

    private static Set<String> rules(SecretDetector d, String text) {
        List<Finding> found = new ArrayList<>();
        d.find(TextNormalizer.normalize(text), found);
        Set<String> rules = new java.util.TreeSet<>();
        for (Finding f : found) rules.add(f.rule());
        return rules;
    }
}
