package io.backstop.server.guard.secret;

import java.util.regex.Pattern;

/**
 * One secret pattern: {@code group} is the secret part of a match (0 = all of it); it must not be a
 * placeholder and must reach {@code minEntropy} bits per char (0 = no floor, for formats whose shape
 * alone proves them, like a GitHub token's prefix and length). Every match holds a run of at least
 * {@code minRun} token chars: a rule whose anchor is common in prose ("." or "s.") runs only on texts
 * that have such a run at all.
 */
public record SecretRule(String name, Pattern pattern, int group, double minEntropy, java.util.List<String> anchors, boolean ignoreCase, int minRun, int[][] anchorPairs) {
    SecretRule(String name, Pattern pattern, int group, double minEntropy, java.util.List<String> anchors, boolean ignoreCase, int minRun) {
        this(name, pattern, group, minEntropy, anchors, ignoreCase, minRun, anchors.stream().map(Bigrams::hashes).toArray(int[][]::new));
    }

    static SecretRule of(String name, String regex, int group, double minEntropy) {
        java.util.List<String> anchors = SecretAnchors.of(name);
        boolean ignoreCase = regex.startsWith("(?i)");
        if (ignoreCase) anchors = anchors.stream().map(a -> a.toLowerCase(java.util.Locale.ROOT)).toList();
        return new SecretRule(name, Pattern.compile(regex), group, minEntropy, anchors, ignoreCase, SecretAnchors.minRun(name));
    }

    /** A rule whose anchors are given here (literal prefixes, matched case-sensitively unless the regex starts with (?i)); {@code minRun} 0. */
    static SecretRule anchored(String name, String regex, int group, double minEntropy, String... anchors) {
        boolean ignoreCase = regex.startsWith("(?i)");
        java.util.List<String> list = java.util.Arrays.stream(anchors).map(a -> ignoreCase ? a.toLowerCase(java.util.Locale.ROOT) : a).toList();
        return new SecretRule(name, Pattern.compile(regex), group, minEntropy, list, ignoreCase, 0);
    }

    /**
     * Whether the rule can match at all: the text's longest token run is long enough and one of its anchors
     * occurs (in {@code lower} for case-insensitive rules); {@code pairs}: {@link Bigrams#of} the text, which
     * rules most anchors out before a substring search.
     */
    boolean mayMatch(String text, String lower, int longestRun, long[] pairs) {
        if (longestRun < minRun) return false;
        if (anchors.isEmpty()) return true;
        String t = ignoreCase ? lower : text;
        for (int i = 0; i < anchors.size(); i++) if (Bigrams.mayContain(pairs, anchorPairs[i]) && t.contains(anchors.get(i))) return true;
        return false;
    }
}
