package io.backstop.server.guard.eval;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our own deterministic held-out split of a data file: rows are grouped by source file and label,
 * ordered by a hash of their normalised text, and every fifth row of a group (offset by the group's own
 * hash, so tiny groups still send ~20% of their rows to the held-out side) is held out. Detectors are
 * trained and tuned only on the {@code train} side; {@code guard eval} on the {@code heldOut} side
 * measures them on rows they have never seen. Same input, same split, on any machine.
 */
public final class HoldoutSplit {
    public static final double FRACTION = 0.2;

    public record Parts(List<GuardRow> train, List<GuardRow> heldOut) {}

    private HoldoutSplit() {}

    public static Parts split(List<GuardRow> rows) {
        Map<String, List<GuardRow>> groups = new LinkedHashMap<>();
        for (GuardRow r : rows) groups.computeIfAbsent(stratum(r), k -> new ArrayList<>()).add(r);
        List<GuardRow> train = new ArrayList<>();
        List<GuardRow> held = new ArrayList<>();
        for (var e : groups.entrySet()) {
            List<GuardRow> g = new ArrayList<>(e.getValue());
            g.sort(Comparator.comparing(r -> hash(key(r.text()))));
            double offset = (Long.parseUnsignedLong(hash(e.getKey()).substring(0, 12), 16) % 1_000_000) / 1e6;
            for (int i = 0; i < g.size(); i++) {
                boolean out = Math.floor((i + 1) * FRACTION + offset) > Math.floor(i * FRACTION + offset);
                (out ? held : train).add(g.get(i));
            }
        }
        // Back into file order, so split files read like the original.
        Map<GuardRow, Integer> index = new java.util.IdentityHashMap<>();
        for (int i = 0; i < rows.size(); i++) index.put(rows.get(i), i);
        Comparator<GuardRow> byIndex = Comparator.comparingInt(index::get);
        train.sort(byIndex);
        held.sort(byIndex);
        return new Parts(List.copyOf(train), List.copyOf(held));
    }

    static String stratum(GuardRow r) {
        String label = r.isInjectionRow() ? (r.injection() ? "injection" : "benign") : String.join(",", r.types());
        if (!r.isInjectionRow()) {
            // PII: one stratum per source file and first core type, not per full label set (too many tiny groups).
            label = r.types().stream().filter(t -> CoreTypes.ALL.contains(t)).findFirst().orElse("none");
        }
        return r.sourceFile() + "|" + label;
    }

    /** Rows with the same text after case and white-space folding get the same key. */
    static String key(String text) {
        return text.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
