package io.backstop.server.guard.deny;

import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.pii.Finding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Terms, topics and regular expressions a profile refuses, matched on the normalised text (so
 * "ｂｏｍｂ" and "b\u200bomb" match "bomb"), case-insensitively, terms and topic keywords as whole words
 * or phrases. Findings have type {@code DENIED} and rule {@code term}, {@code topic:NAME} or
 * {@code regex:N}, never the matched text.
 */
public final class DenyList {
    public static final String TYPE = "DENIED";
    private static final int FLAGS = Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
    private final Pattern terms;
    private final List<String> termHeads;
    private final Map<String, Pattern> topics;
    private final Map<String, List<String>> topicHeads = new LinkedHashMap<>();
    private final List<Pattern> regexes;
    private final int longestLiteral;
    private final List<String> literals;

    public DenyList(List<String> terms, Map<String, List<String>> topics, List<String> regexes) {
        this.terms = words(terms);
        this.termHeads = heads(terms);
        this.topics = new LinkedHashMap<>();
        topics.forEach((name, words) -> {
            Pattern p = words(words);
            if (p != null) {
                this.topics.put(name, p);
                topicHeads.put(name, heads(words));
            }
        });
        this.regexes = new ArrayList<>();
        for (int i = 0; i < regexes.size(); i++) {
            try {
                this.regexes.add(Pattern.compile(regexes.get(i), FLAGS));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("regex[" + i + "] is not a valid regular expression: " + e.getDescription());
            }
        }
        int longest = 0;
        for (String t : terms) longest = Math.max(longest, t.length());
        for (List<String> w : topics.values()) for (String t : w) longest = Math.max(longest, t.length());
        this.longestLiteral = longest;
        List<String> lits = new ArrayList<>(terms);
        topics.values().forEach(lits::addAll);
        this.literals = lits.stream().map(x -> x.strip().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT)).filter(x -> !x.isEmpty()).toList();
    }

    /**
     * How many trailing chars of a stream could still become a match: the longest suffix that starts a
     * term or keyword, or a fixed 64 when regexes are configured (their length is open).
     */
    public int pendingMatch(CharSequence tail) {
        int hold = regexes.isEmpty() ? 0 : Math.min(tail.length(), 64);
        String t = tail.toString().toLowerCase(java.util.Locale.ROOT);
        for (String lit : literals) {
            for (int k = Math.min(lit.length() - 1, t.length()); k > hold; k--) {
                if (lit.startsWith(t.substring(t.length() - k).replaceAll("\\s+", " "))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }

    public static DenyList empty() {
        return new DenyList(List.of(), Map.of(), List.of());
    }

    public boolean isEmpty() {
        return terms == null && topics.isEmpty() && regexes.isEmpty();
    }

    /** Longest term or keyword: how much text a streaming check holds back for them. */
    public int longestLiteral() {
        return longestLiteral;
    }

    private static Pattern words(List<String> words) {
        List<String> w = words.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (w.isEmpty()) return null;
        String alternation = w.stream().map(s -> Pattern.quote(s).replace(" ", "\\E\\s+\\Q")).collect(Collectors.joining("|"));
        return Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + alternation + ")(?![\\p{L}\\p{N}])", FLAGS);
    }

    /**
     * The lower-case first word of each literal, or null when one is not plain ASCII: on an ASCII text, a
     * list none of whose first words occurs cannot match, and its regex (a look-behind tried at every
     * char) is skipped.
     */
    private static List<String> heads(List<String> words) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            String head = w.strip().split("\\s+")[0].toLowerCase(java.util.Locale.ROOT);
            if (head.isEmpty()) continue;
            if (!head.chars().allMatch(c -> c < 128)) return null;
            out.add(head);
        }
        return out;
    }

    private static boolean mayMatch(List<String> heads, String lowerAscii) {
        if (heads == null || lowerAscii == null) return true;
        for (String h : heads) if (lowerAscii.contains(h)) return true;
        return false;
    }

    public List<Finding> find(NormalizedText t) {
        List<Finding> out = new ArrayList<>();
        String s = t.text();
        // Case-insensitive matching of a non-ASCII char can differ from lower-casing it ("ı" matches "I"): prefilter ASCII texts only.
        String lowerAscii = isAscii(s) ? s.toLowerCase(java.util.Locale.ROOT) : null;
        if (terms != null && mayMatch(termHeads, lowerAscii)) add(t, terms.matcher(s), "term", out);
        topics.forEach((name, p) -> {
            if (mayMatch(topicHeads.get(name), lowerAscii)) add(t, p.matcher(s), "topic:" + name, out);
        });
        for (int i = 0; i < regexes.size(); i++) add(t, regexes.get(i).matcher(s), "regex:" + i, out);
        return out;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 128) return false;
        return true;
    }

    private static void add(NormalizedText t, Matcher m, String rule, List<Finding> out) {
        while (m.find()) {
            if (m.end() == m.start()) continue;
            out.add(new Finding(TYPE, t.originalStart(m.start()), t.originalEnd(m.end()), 1.0, rule));
        }
    }
}
