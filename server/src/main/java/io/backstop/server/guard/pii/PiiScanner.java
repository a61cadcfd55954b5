package io.backstop.server.guard.pii;

import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.normalize.TextNormalizer;
import io.backstop.server.guard.secret.SecretDetector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Runs the PII and secret recognizers for a set of types over one normalised text and returns
 * non-overlapping findings in text order, with ORIGINAL offsets. Where two findings overlap, the one of
 * the more specific type wins (a secret over an e-mail inside a URL, a card over a phone-shaped number).
 * Thread-safe.
 */
public final class PiiScanner {
    /** Every type this scanner knows, most specific first (the order that settles overlaps). */
    public static final List<String> TYPES = List.of("SECRET", "CREDIT_CARD", "IBAN", "EMAIL", "IP_ADDRESS", "US_SSN", "PHONE");
    private final List<Recognizer> recognizers;

    public PiiScanner(Set<String> types) {
        List<Recognizer> all = List.of(new SecretDetector(), new CreditCardRecognizer(), new IbanRecognizer(), new EmailRecognizer(),
                new IpRecognizer(), new SsnRecognizer(), new PhoneRecognizer());
        for (String t : types) if (!TYPES.contains(t)) throw new IllegalArgumentException("unknown entity type '" + t + "'; known: " + TYPES);
        this.recognizers = all.stream().filter(r -> types.contains(r.type())).toList();
    }

    public static PiiScanner all() {
        return new PiiScanner(Set.copyOf(TYPES));
    }

    public List<Finding> scan(String text) {
        return scan(TextNormalizer.normalize(text));
    }

    public List<Finding> scan(NormalizedText t) {
        List<Finding> found = new ArrayList<>();
        for (Recognizer r : recognizers) r.find(t, found);
        if (found.size() < 2) return found;
        found.sort(Comparator.comparingInt((Finding f) -> TYPES.indexOf(f.type())).thenComparing(Comparator.comparingInt(Finding::length).reversed()));
        List<Finding> kept = new ArrayList<>(found.size());
        for (Finding f : found) {
            boolean overlaps = false;
            for (Finding k : kept) overlaps |= f.start() < k.end() && k.start() < f.end();
            if (!overlaps) kept.add(f);
        }
        kept.sort(Comparator.comparingInt(Finding::start));
        return kept;
    }
}
