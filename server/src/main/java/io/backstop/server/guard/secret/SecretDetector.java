package io.backstop.server.guard.secret;

import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.Recognizer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds secrets (type {@code SECRET}): vendor tokens by shape ({@link SecretRules#VENDOR}),
 * credentials in headers, curl commands and URLs, and {@code name = value} assignments whose name says
 * secret (password, token, api_key, …) and whose value looks random: long enough, above an entropy
 * floor, not an identifier, not repetitive, not a placeholder or environment-variable reference; and,
 * for formats no rule knows, {@link GenericSecrets}: random tokens bound to a credential word or behind a
 * vendor-looking prefix.
 */
public final class SecretDetector implements Recognizer {
    public static final String TYPE = "SECRET";
    /** Entropy floor (bits per char) of a value in a {@code name = value} assignment. */
    public static final double ASSIGNMENT_ENTROPY = 3.0;
    private static final Pattern CURL_USER = Pattern.compile("(?<![\\w-])(?:-u|--user)(?:=|\\s*)[\"']?([^\\s\"':]*)[\"']?:[\"']?([^\\s\"']*)[\"']?(?=\\s|$)");
    /** What follows a URL's "://" when it carries credentials (the scheme before it is checked by hand). */
    private static final Pattern URL_CREDENTIALS = Pattern.compile("([^\\s:/?#@\"'<>]*):([^\\s:/?#@\"'<>]+)@[\\w.-]+");
    /**
     * A secret-sounding name's last word and an assignment: the rest of the name is read backwards by hand
     * (a leading {@code [\\w.-]{0,40}?} in the regex would be tried at every position of every text).
     */
    private static final Pattern ASSIGNMENT = Pattern.compile(
            "(?i)((?:password|passwd|pwd|pass|secret|token|key|auth|credentials?|creds|login|accessid|access[_.-]?id)(?:[_.-]?(?:value|str|string|b64|base64|data|raw|text))?)"
                    + "[\"']?[ \\t]*(?:=|:=|:::=|\\?=|:|=>|,|>(?=[^<\\s]{8,}</))[ \\t]*[\"'`]?([^\\s\"'`,;)}\\]<]{8,})");
    private static final Pattern XML_SECRET_NAME = Pattern.compile("(?:password|passwd|pwd|pass|secret|token)$");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DOTTED_IDENTIFIER = Pattern.compile("[A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)+(?:\\(\\))?");
    private static final Pattern WORD_PART = Pattern.compile("[A-Z]?[a-z]+|[A-Z]+|\\d{1,4}");
    /** Values that a vendor rule judges (an assignment of one is that rule's call, e.g. a non-hex "dapi…"). */
    private static final Pattern VENDOR_PREFIX = Pattern.compile(
            "^(?:dapi|gh[pousr]_|github_pat_|gl[a-z]{1,6}-|xox|xapp-|sk-|sk_|rk_|pk_|hf_|api_org_|AKIA|ASIA|AIza|ntn_|sgp_|glc_|glsa_|hvs\\.|hvb\\.|ops_|fo1_|npm_|pypi-|SG\\.|EAAA|sq0|ico-|HRKU-|sntry)");

    /** The rules that know one vendor's or one format's tokens by shape. */
    private static final List<List<SecretRule>> FORMAT_RULES = List.of(SecretRules.VENDOR, SecretRules.MORE_VENDORS, PublishedFormats.TOKENS);

    /** Rules switched off (by name; "service-assignment" and "generic" name those two detectors): for measuring what the rest finds alone. */
    private final Set<String> disabled;
    /** Prefixes of the enabled vendor rules' tokens ("ghp_", "glpat-"): the generic rules leave such tokens to them. */
    private final List<String> vendorPrefixes;

    public SecretDetector() {
        this(Set.of());
    }

    /** A detector without the named rules: {@code guard secret-check} measures the generic rules alone with it. */
    public SecretDetector(Set<String> disabled) {
        this.disabled = Set.copyOf(disabled);
        List<String> prefixes = new java.util.ArrayList<>();
        for (List<SecretRule> rules : FORMAT_RULES) {
            for (SecretRule r : rules) {
                // A case-insensitive rule's own anchors are lower-cased: not the prefix its tokens are written with.
                if (disabled.contains(r.name()) || r.ignoreCase() && SecretAnchors.of(r.name()).isEmpty()) continue;
                for (String a : SecretAnchors.of(r.name()).isEmpty() ? r.anchors() : SecretAnchors.of(r.name())) {
                    int sep = firstSeparator(a); // "ops_eyJ" → "ops_", "pat-na1-" → "pat-"
                    if (sep >= 2) prefixes.add(a.substring(0, sep + 1));
                }
            }
        }
        this.vendorPrefixes = List.copyOf(prefixes);
    }

    /** The names of the rules that know one vendor's or one format's tokens (everything but the generic, header, URL and assignment rules). */
    public static Set<String> formatRules() {
        Set<String> names = new java.util.TreeSet<>();
        for (List<SecretRule> rules : FORMAT_RULES) for (SecretRule r : rules) names.add(r.name());
        names.addAll(ConfigCredentials.FORMAT_RULES);
        names.add(VendorAssignments.RULE);
        return names;
    }

    private static int firstSeparator(String anchor) {
        for (int i = 0; i < anchor.length(); i++) if ("_-.".indexOf(anchor.charAt(i)) >= 0) return i;
        return -1;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public void find(NormalizedText t, List<Finding> out) {
        String s = t.text();
        String lower = s.toLowerCase(Locale.ROOT);
        // Every vendor token has a run of at least 12 token chars (but PEM headers and Zapier's short hook ids);
        // prose rarely does, and then no vendor rule runs.
        int run = longestTokenRun(s);
        long[] pairs = Bigrams.of(lower);
        if (run >= 12 || s.contains("-----BEGIN") || s.contains("hooks.zapier.com")) {
            for (List<SecretRule> rules : FORMAT_RULES) for (SecretRule r : rules) if (r.mayMatch(s, lower, run, pairs) && !disabled.contains(r.name())) applyRule(t, s, r, out);
        }
        for (SecretRule r : SecretRules.CONTEXT) if (r.mayMatch(s, lower, run, pairs) && !disabled.contains(r.name())) applyRule(t, s, r, out);
        ConfigCredentials.find(t, s, lower, disabled, out);
        if (s.contains("curl")) curl(t, s, out);
        if (s.contains("://")) urls(t, s, out);
        assignments(t, s, lower, out);
        if (!disabled.contains(VendorAssignments.RULE)) VendorAssignments.find(t, s, lower, out);
        if (!disabled.contains(GenericSecrets.RULES)) GenericSecrets.find(t, s, lower, vendorPrefixes, disabled, out);
    }

    /** Longest run of chars that tokens are made of (letters, digits, _ and -). */
    static int longestTokenRun(String s) {
        int best = 0, run = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                if (++run > best) best = run;
            } else run = 0;
        }
        return best;
    }

    private static void applyRule(NormalizedText t, String s, SecretRule r, List<Finding> out) {
        Matcher m = r.pattern().matcher(s);
        while (m.find()) {
            int g = r.group() <= m.groupCount() && m.group(r.group()) != null ? r.group() : 0;
            String value = m.group(g);
            // A Twitter bearer token starts with 22 A's by format: only the rest can be a mask.
            if (Placeholders.isPlaceholder(r.name().equals("twitter-bearer-token") ? value.substring(22) : value)) continue;
            if (r.name().equals("slack-token") && sequential(value)) continue; // "xoxb-1234567890-…": a docs example
            if (r.minEntropy() > 0 && Entropy.shannon(value) < r.minEntropy()) continue;
            if (r.name().equals("jwt") && !jwtHeader(value)) continue;
            if (r.name().equals("authorization-header") && value.matches("(?i)bearer|basic|token|digest")) continue;
            add(t, out, m.start(g), m.end(g), 0.95, r.name());
        }
    }

    private static final Pattern JSON_OBJECT = Pattern.compile("(?s)\\{\\s*\"[^\"]{1,40}\"\\s*:.*\\}");

    /** A JWT's first part must decode to a JSON object ({"alg":…}, {"typ":…}, { "kid": …}), not random base64. */
    static boolean jwtHeader(String token) {
        String head = token.substring(0, token.indexOf('.'));
        try {
            String json = new String(Base64.getUrlDecoder().decode(head), StandardCharsets.ISO_8859_1).strip();
            return JSON_OBJECT.matcher(json).matches();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void curl(NormalizedText t, String s, List<Finding> out) {
        Matcher m = CURL_USER.matcher(s);
        while (m.find()) {
            if (s.lastIndexOf("curl", m.start()) < 0) continue;
            String user = m.group(1), pass = m.group(2);
            int g = pass.isEmpty() ? 1 : 2;
            String v = m.group(g);
            if (v.length() < 6 || v.equals(user) && g == 2 || Placeholders.isPlaceholder(v) || Placeholders.isPlaceholder(user) && g == 2 && user.startsWith("$")) continue;
            if (Entropy.shannon(v) < 2.5) continue;
            add(t, out, m.start(g), m.end(g), 0.85, "curl-credentials");
        }
    }

    private static void urls(NormalizedText t, String s, List<Finding> out) {
        Matcher m = URL_CREDENTIALS.matcher(s);
        for (int i = s.indexOf("://"); i > 0; i = s.indexOf("://", i + 3)) {
            if (!Character.isLetterOrDigit(s.charAt(i - 1))) continue;
            m.region(i + 3, Math.min(s.length(), i + 3 + 2048));
            if (!m.lookingAt()) continue;
            String pass = m.group(2);
            if (pass.startsWith("$") || pass.contains("${") || pass.contains("{{") || Placeholders.masked(pass) || pass.matches("\\d{1,5}")) continue;
            add(t, out, m.start(2), m.end(2), 0.9, "url-credentials");
        }
    }

    private static final List<String> ASSIGNMENT_WORDS = List.of("pass", "pwd", "secret", "token", "key", "auth", "credential", "creds", "login", "access");

    private static void assignments(NormalizedText t, String s, String lower, List<Finding> out) {
        if (s.indexOf('=') < 0 && s.indexOf(':') < 0 && s.indexOf(',') < 0 && s.indexOf('>') < 0) return;
        java.util.TreeSet<Integer> starts = new java.util.TreeSet<>();
        for (String w : ASSIGNMENT_WORDS) for (int k = lower.indexOf(w); k >= 0; k = lower.indexOf(w, k + 1)) starts.add(k);
        if (starts.isEmpty()) return;
        Matcher m = ASSIGNMENT.matcher(s);
        int done = 0;
        for (int k : starts) {
            if (k < done) continue;
            m.region(k, Math.min(s.length(), k + 600));
            if (!m.lookingAt()) continue;
            done = m.end();
            int nameStart = m.start();
            while (nameStart > 0 && m.start() - nameStart < 40 && isNameChar(s.charAt(nameStart - 1))) nameStart--;
            String name = s.substring(nameStart, m.end(1)).toLowerCase(Locale.ROOT);
            String v = stripQuotes(m.group(2));
            while (v.endsWith(".")) v = v.substring(0, v.length() - 1); // the sentence's full stop is not part of the value
            if (!secretValue(name, v)) continue;
            // An XML element (<password>…</password>) only for a password, secret or token: <gpg.key>, <releaseManagerKey> hold key ids.
            if (s.substring(m.end(1), m.start(2)).indexOf('>') >= 0 && !XML_SECRET_NAME.matcher(name).find()) continue;
            int start = m.start(2), end = start + v.length();
            add(t, out, start, end, 0.8, "assignment");
        }
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-';
    }

    static String stripQuotes(String v) {
        int end = v.length();
        while (end > 0 && "\"'`\\".indexOf(v.charAt(end - 1)) >= 0) end--;
        return v.substring(0, end);
    }

    static boolean secretValue(String name, String v) {
        if (name.contains("public") || name.contains("fake") || name.endsWith("_id") && !name.contains("access")) return false;
        boolean password = name.matches(".*(?:password|passwd|pwd|pass)$");
        if (v.length() < (password ? 8 : 10) || v.length() > 512) return false;
        if (Placeholders.isPlaceholder(v) || VENDOR_PREFIX.matcher(v).find()) return false;
        if (v.startsWith("http") || v.startsWith("/") || v.contains("://") || v.indexOf('(') >= 0) return false; // a URL, a path, a call in code
        if (DOTTED_IDENTIFIER.matcher(v).matches() || identifierWords(v) || GenericSecrets.words(v) || repetitive(v) || alphabet(v)) return false;
        if (UUID.matcher(v).matches() && !name.matches(".*(?:key|token|secret|password|auth).*")) return false;
        boolean digit = false, letter = false;
        for (int i = 0; i < v.length(); i++) {
            digit |= Character.isDigit(v.charAt(i));
            letter |= Character.isLetter(v.charAt(i));
        }
        if (!letter || !digit && v.length() < 20) return false;
        return Entropy.shannon(v) >= (password ? 2.5 : ASSIGNMENT_ENTROPY);
    }

    static boolean dottedIdentifier(String v) {
        return DOTTED_IDENTIFIER.matcher(v).matches();
    }

    /** "DOC_Vector_5_32", "shorter-version": words and small numbers joined by _ - or . are names, not keys. */
    static boolean identifierWords(String v) {
        String[] parts = v.split("[_.\\-]+");
        if (parts.length < 2) return false;
        for (String p : parts) if (!p.isEmpty() && !WORD_PART.matcher(p).matches()) return false;
        return true;
    }

    /** "ABCDEFGHIJ…0123456789", "abdefghjk0123…": mostly runs of consecutive chars is an alphabet, not a key. */
    static boolean sequential(String v) {
        int steps = 0;
        for (int i = 0; i + 1 < v.length(); i++) if (v.charAt(i + 1) == v.charAt(i) + 1) steps++;
        return steps >= 0.4 * (v.length() - 1);
    }

    /** "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789": an alphabet literal (nearly all consecutive chars), not a key. */
    static boolean alphabet(String v) {
        int steps = 0;
        for (int i = 0; i + 1 < v.length(); i++) if (v.charAt(i + 1) == v.charAt(i) + 1) steps++;
        return v.length() >= 20 && steps >= 0.85 * (v.length() - 1);
    }

    /** "abcd1234abcd1234…": a chunk of up to 16 chars repeated (case ignored) is a test pattern, not a key. */
    static boolean repetitive(String v) {
        String l = v.toLowerCase(Locale.ROOT);
        for (int p = 2; p <= 16 && p * 3 <= l.length(); p++) {
            int same = 0;
            for (int i = 0; i + p < l.length(); i++) if (l.charAt(i) == l.charAt(i + p)) same++;
            if (same >= 0.6 * (l.length() - p)) return true;
        }
        return false;
    }

    static void add(NormalizedText t, List<Finding> out, int start, int end, double score, String rule) {
        int os = t.originalStart(start), oe = t.originalEnd(end);
        for (Finding f : out) if (f.start() <= os && oe <= f.end()) return; // already covered by a finding
        out.add(new Finding(TYPE, os, oe, score, rule));
    }
}
