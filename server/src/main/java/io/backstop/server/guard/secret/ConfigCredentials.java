package io.backstop.server.guard.secret;

import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.pii.Finding;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials in the places real configs and shell lines keep them, where no {@code name = value}
 * assignment binds them: a {@code .netrc} entry ({@code machine h login u password p}), a password flag
 * followed by a space ({@code --password p}, {@code mysql -pP}, {@code sshpass -p p}, {@code docker login -p p},
 * {@code redis-cli -a p}), a webhook URL (its random path is the credential), a Docker {@code config.json} {@code "auth"} (base64 of {@code user:password}); and two encodings of
 * known secrets: a base64'd PEM private key (Kubernetes' {@code client-key-data}, {@code tls.key}) and a
 * base64'd JWT. Each value is decoded or checked before it is reported.
 */
final class ConfigCredentials {
    static final String NETRC = "netrc-password";
    static final String CLI = "cli-password";
    static final String DOCKER = "docker-config-auth";
    static final String WEBHOOK = "webhook-url";
    static final String BASE64_KEY = "base64-private-key";
    static final String BASE64_JWT = "jwt-base64";

    /** The two rules that recognise a format (the rest read context), for {@link SecretDetector#formatRules()}. */
    static final Set<String> FORMAT_RULES = Set.of(BASE64_KEY, BASE64_JWT);

    private static final Pattern NETRC_ENTRY = Pattern.compile(
            "(?<![\\w-])(?:machine[ \\t]+\\S{1,200}|default)(?:\\s+(?:login|account)[ \\t]+\\S{1,200}){0,2}\\s+password[ \\t]+(\\S{6,200})");
    /** A long password/secret flag, then white space (with "=" the assignment rule has it already). */
    private static final Pattern FLAG = Pattern.compile(
            "(?i)(?<![\\w-])--?((?:[a-z]+-)?(?:password|passwd|pwd|pass|secret|client-secret|secret-key|access-key|api-key|apikey|token|auth-token|api-token))[ \\t]+[\"']?([^\\s\"']{8,200})");
    /** MySQL's -pPASSWORD (glued: "-p" then a space is a prompt), sshpass -p and docker login -p. */
    private static final Pattern SHORT_FLAG = Pattern.compile(
            "(?<![\\w-])(?:(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\\b[^\\n]{0,200}?\\s-p([^\\s\"'-][^\\s\"']{5,100})|(?:sshpass\\b[^\\n]{0,200}?\\s-p|docker[ \\t]+login\\b[^\\n]{0,200}?\\s-p|redis-cli\\b[^\\n]{0,200}?\\s-a)[ \\t]+[\"']?([^\\s\"'-][^\\s\"']{5,100}))");
    private static final Pattern URL = Pattern.compile("https?://([A-Za-z0-9.-]{1,100})(/[^\\s\"'<>)\\]}]{1,600})");
    private static final Pattern HOOK = Pattern.compile("(?i)hook|/trigger/|incoming");
    private static final Pattern PATH_PARTS = Pattern.compile("[/?&=#]+");
    private static final Pattern DOCKER_AUTH = Pattern.compile("\"auth\"\\s*:\\s*\"([A-Za-z0-9+/]{8,400}={0,2})\"");
    private static final Pattern B64_PEM = Pattern.compile("(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,20000}={0,2}");
    private static final Pattern B64_JWT = Pattern.compile("(?<![A-Za-z0-9+/])ZXlK[A-Za-z0-9+/_-]{40,8000}={0,2}");
    private static final Pattern JWT_SHAPE = Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.ey[A-Za-z0-9_-]{8,}(?:\\.[A-Za-z0-9_-]*)?\\s*");

    private ConfigCredentials() {}

    static void find(NormalizedText t, String s, String lower, Set<String> disabled, List<Finding> out) {
        if (lower.contains("password") && (lower.contains("machine") || lower.contains("default")) && !disabled.contains(NETRC)) netrc(t, s, out);
        if (s.indexOf('-') >= 0 && !disabled.contains(CLI)) flags(t, s, out);
        if (s.contains("://") && lower.contains("hook") && !disabled.contains(WEBHOOK)) webhooks(t, s, lower, out);
        if (s.contains("\"auth\"") && !disabled.contains(DOCKER)) dockerAuth(t, s, out);
        if (s.contains("LS0tLS1CRUdJTi") && !disabled.contains(BASE64_KEY)) base64Key(t, s, out);
        if (s.contains("ZXlK") && !disabled.contains(BASE64_JWT)) base64Jwt(t, s, out);
    }

    private static void netrc(NormalizedText t, String s, List<Finding> out) {
        Matcher m = NETRC_ENTRY.matcher(s);
        while (m.find()) {
            String v = m.group(1);
            if (plainPassword(v)) SecretDetector.add(t, out, m.start(1), m.end(1), 0.85, NETRC);
        }
    }

    private static void flags(NormalizedText t, String s, List<Finding> out) {
        Matcher m = FLAG.matcher(s);
        while (m.find()) {
            String name = m.group(1).toLowerCase(java.util.Locale.ROOT), v = SecretDetector.stripQuotes(m.group(2));
            if (SecretDetector.secretValue(name, v)) SecretDetector.add(t, out, m.start(2), m.start(2) + v.length(), 0.8, CLI);
        }
        m = SHORT_FLAG.matcher(s);
        while (m.find()) {
            int g = m.group(1) != null ? 1 : 2;
            String v = SecretDetector.stripQuotes(m.group(g));
            if (plainPassword(v)) SecretDetector.add(t, out, m.start(g), m.start(g) + v.length(), 0.8, CLI);
        }
    }

    /** A password given in clear where the format says it is one: no placeholder or variable, not a word alone. */
    private static boolean plainPassword(String v) {
        return v.length() >= 6 && !Placeholders.isPlaceholder(v) && !v.startsWith("$") && !v.startsWith("%") && Entropy.shannon(v) >= 2.5
                && !SecretDetector.repetitive(v) && !SecretDetector.sequential(v) && !v.chars().allMatch(Character::isLetter);
    }

    /** A URL with "hook" in its host or path (or a trigger path) whose path holds a random segment: Slack, Discord, Teams, Zapier, Mattermost, IFTTT… */
    private static void webhooks(NormalizedText t, String s, String lower, List<Finding> out) {
        Matcher m = URL.matcher(s);
        while (m.find()) {
            if (!HOOK.matcher(s).region(m.start(1), m.end(2)).find() || GenericSecrets.hashWords(lower, m.start(2), m.end(2))) continue;
            for (String part : PATH_PARTS.split(m.group(2))) {
                if (part.length() >= 16 && GenericSecrets.randomValue(part, null)) {
                    SecretDetector.add(t, out, m.start(2), m.end(2), 0.85, WEBHOOK);
                    break;
                }
            }
        }
    }

    private static void dockerAuth(NormalizedText t, String s, List<Finding> out) {
        Matcher m = DOCKER_AUTH.matcher(s);
        while (m.find()) {
            String decoded = decode(m.group(1), false);
            int colon = decoded == null ? -1 : decoded.indexOf(':');
            if (colon <= 0 || colon == decoded.length() - 1 || !decoded.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) continue;
            String pass = decoded.substring(colon + 1);
            if (pass.length() >= 3 && !Placeholders.isPlaceholder(pass) && !SecretDetector.repetitive(pass)) {
                SecretDetector.add(t, out, m.start(1), m.end(1), 0.9, DOCKER);
            }
        }
    }

    private static void base64Key(NormalizedText t, String s, List<Finding> out) {
        Matcher m = B64_PEM.matcher(s);
        while (m.find()) {
            String head = m.group().substring(0, Math.min(m.group().length(), 80) & ~3);
            String decoded = decode(head, false);
            if (decoded != null && decoded.startsWith("-----BEGIN") && decoded.contains("PRIVATE KEY")) {
                SecretDetector.add(t, out, m.start(), m.end(), 0.95, BASE64_KEY);
            }
        }
    }

    private static void base64Jwt(NormalizedText t, String s, List<Finding> out) {
        Matcher m = B64_JWT.matcher(s);
        while (m.find()) {
            String decoded = decode(m.group(), true);
            if (decoded != null && JWT_SHAPE.matcher(decoded).matches() && SecretDetector.jwtHeader(decoded.strip())) {
                SecretDetector.add(t, out, m.start(), m.end(), 0.9, BASE64_JWT);
            }
        }
    }

    /** Base64 (standard, or URL-safe when {@code urlSafe}) to ISO-8859-1 text, padding added; null if it is not base64. */
    private static String decode(String b64, boolean urlSafe) {
        String v = b64.replace("=", "");
        if (urlSafe) v = v.replace('-', '+').replace('_', '/');
        if (v.length() % 4 == 1) return null;
        v = v + "==".substring(0, (4 - v.length() % 4) % 4);
        try {
            return new String(Base64.getDecoder().decode(v), StandardCharsets.ISO_8859_1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
