package io.backstop.server.guard.secret;

import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.pii.Finding;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Secrets of formats no rule knows, in the style of detect-secrets' keyword and high-entropy plugins: a
 * token that looks random for its alphabet (hex, base64 or alphanumeric: length and Shannon-entropy floors,
 * mixed character classes, not camel-case words) is a secret when a credential word binds it — the name
 * it is assigned to ({@code fooApiToken = "…"}, {@code "client_secret": …}, {@code <password>…}), a flag
 * ({@code --auth-key …}) or a header ({@code X-Foo-Key: …}, {@code Bearer …}) — or when it carries a
 * vendor-looking prefix ({@code abc_…}, {@code ABCD-…}) followed by a long random body. Hashes (hex or
 * base64 next to sha/md5/digest/checksum/commit/integrity words, {@code sha512-…}), UUIDs not named as a
 * key, paths, URLs, dotted identifiers, base64 of prose and placeholders are not secrets.
 */
final class GenericSecrets {
    /** The name that switches the generic rules off in {@link SecretDetector#SecretDetector(java.util.Set)}. */
    static final String RULES = "generic";
    /**
     * Credential words. A word of four letters or less must start a word of the name ("clientSecret",
     * "JIRA_API_TOKEN", "sl_key") or end it ("IBMCLOUDAPIKEY"); every word must end one ("apiToken",
     * not "keyframe", "accessor", "authenticity").
     */
    private static final List<String> KEYWORDS = List.of(
            "key", "keys", "secret", "secrets", "token", "tokens", "password", "passwd", "passphrase", "passcode", "pwd", "pass", "auth",
            "authorization", "credential", "credentials", "creds", "apikey", "bearer", "private", "signing", "webhook", "dsn", "session",
            "cookie", "login", "hmac", "oauth", "sid", "pat", "salt", "jwt");
    /** The credential words by first letter: at each position only the words that can start there are tried. */
    private static final String[][] BY_LETTER = new String[26][];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            char first = c;
            BY_LETTER[c - 'a'] = KEYWORDS.stream().filter(w -> w.charAt(0) == first).toArray(String[]::new);
        }
    }

    /** Names whose value is not a secret even though a credential word is in them. */
    private static final Pattern NOT_SECRET_NAME = Pattern.compile(
            "(?i)public|pub_?key|recv-keys?|keyserver|csrf|xsrf|authenticity|(?:^|[^a-z])(?:id|ids|name|names|file|path|dir|url|uri|type|kind|env|var|field|header|prefix|suffix|length|len|size|count|format|pattern|regex|ref|hint|label|version|algorithm|alg|provider|policy|scope|mode|method|store|manager|service|vault|arn|region|user|username|email)$"
                    + "|[a-z](?:Id|Ids|Name|File|Path|Url|Type|Field|Header|Prefix|Version|Ref|Size|Length|Count|Format)$");
    /** Words that make a long hex or base64 value a hash or an id, not a secret. */
    private static final Pattern HASH_WORDS = Pattern.compile(
            "(?<![a-z])(?:sha(?:\\d+|(?![a-z]))|md5|hash|digest|checksum|commit|integrity|etag|fingerprint|revision|rev(?![a-z])|blob|tree(?![a-z])|object|crc(?![a-z])|nonce|uuid|guid|trace|span(?![a-z])|request_?id|cache|image|docker|layer|manifest|build|artifact|resolved|tarball|download|mirror|release)");
    private static final Pattern HASH_PREFIX = Pattern.compile("(?i)^(?:sha\\d{0,3}|md5|blake2[bs]?|sri|git|commit)[-:_~=]");
    /**
     * What may stand between the name and the value: quotes, operators (=, :=, =>, ?=), brackets, a scheme word.
     * One char per step and words of letters only, so no text can be read two ways (no backtracking blow-up).
     */
    private static final Pattern BINDER = Pattern.compile(
            "(?i)(?:[\\s\"'`=:,>?\\\\\\[\\](){}|]|\\b(?:bearer|basic|token|bot|digest|value|default|is|to|was|equals|of)\\b)*+");
    private static final Pattern VALUE_LINE = Pattern.compile("(?i)[ \\t-]*[\"']?value[\"']?[ \\t]*[:=][ \\t]*[\"']?");
    private static final Pattern NAME_REST = Pattern.compile("[\\w.-]{0,40}");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern PREFIXED = Pattern.compile("^([A-Za-z][A-Za-z0-9]{0,7})[_.-](?:[A-Za-z0-9]{1,8}[_.-]){0,2}([A-Za-z0-9][A-Za-z0-9_-]{19,})$");
    private static final Pattern PREFIX_STOP = Pattern.compile(
            "(?i)^(?:sha\\d*|md5|pk|pub|public|test|tests|example|sample|dummy|fake|foo|bar|baz|abc|xyz|my|com|org|net|io|get|set|is|has|the|to|from|with|for|and|v\\d*|data|file|img|image|icon|lib|src|doc|tmp|x\\d*|u\\d*|i\\d*|fn|id|uuid|utf\\d*|base\\d*|[a-z])$");
    private static final Pattern VERSION_OR_HOST = Pattern.compile("(?<![A-Za-z0-9])v?\\d+\\.\\d+\\.\\d+|(?i)SNAPSHOT|\\.(?:com|org|net|io|dev|local|internal|json|ya?ml|xml|txt|html?|js|ts|py|java|go|rb|png|jpe?g|svg|gz|zip|jar|so|dll|exe)$");
    private static final int MIN_LENGTH = 16;
    private static final int MAX_LENGTH = 4096;

    private GenericSecrets() {}

    /**
     * {@code vendorPrefixes}: prefixes of the token formats a rule knows; a token with one is that rule's call, not ours.
     * {@code disabled}: the detector's switched-off rules (a dotted token shaped like a JWT or a Discord token is left to
     * those rules unless they are off).
     */
    static void find(NormalizedText t, String s, String lower, List<String> vendorPrefixes, java.util.Set<String> disabled, List<Finding> out) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            if (!tokenChar(s.charAt(i))) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && tokenChar(s.charAt(i))) i++;
            int end = i;
            while (end < n && end - i < 2 && s.charAt(end) == '=') end++; // base64 padding
            if (end < n && tokenChar(s.charAt(end))) end = i;                // "key=value": that '=' was an operator
            if (end - start >= MIN_LENGTH) judge(t, s, lower, start, trimEnd(s, start, end), vendorPrefixes, disabled, out);
        }
    }

    private static boolean tokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' || c == '/' || c == '.' || c == '~';
    }

    private static int trimEnd(String s, int start, int end) {
        while (end > start && ".-_/~".indexOf(s.charAt(end - 1)) >= 0) end--;
        return end;
    }

    private static void judge(NormalizedText t, String s, String lower, int start, int end, List<String> vendorPrefixes, java.util.Set<String> disabled, List<Finding> out) {
        while (start < end && "./-~".indexOf(s.charAt(start)) >= 0) start++;
        int len = end - start;
        if (len < MIN_LENGTH || len > MAX_LENGTH) return;
        String v = s.substring(start, end);
        if (vendorToken(v, vendorPrefixes) || end < s.length() && s.charAt(end) == '(') return; // a vendor's token; a call in code
        String name = boundName(s, lower, start);
        if (name != null && !hashContext(lower, start - name.length() - 1, start) && randomValue(v, name)) {
            SecretDetector.add(t, out, start, end, 0.75, "generic-keyword");
        } else if ((prefixed(v) || dottedRandom(v) && !claimedDotted(v, disabled)) && !hashContext(lower, Math.max(0, start - 40), start)) {
            SecretDetector.add(t, out, start, end, 0.75, "generic-shape");
        }
    }

    /** Whether the token starts with a known vendor prefix ("ghp_", "glpat-", or "glpat_" for it): a vendor rule judges it. */
    static boolean vendorToken(String v, List<String> prefixes) {
        for (String p : prefixes) {
            int k = p.length() - 1;
            if (k < 3 || v.length() <= k || !v.regionMatches(0, p, 0, k)) continue;
            char sep = v.charAt(k);
            // "glpat-" also covers "glpat_"; two letters ("sk-", "hf_") are no vendor's own: other formats use them too.
            if (sep == p.charAt(k) || k >= 4 && "_-.".indexOf(sep) >= 0) return true;
        }
        return false;
    }

    /**
     * The name (credential word and what follows it up to the operator) that binds the value at {@code start},
     * or null: on the same line, within 64 chars, with nothing but quotes, operators and scheme words between.
     */
    static String boundName(String s, String lower, int start) {
        int nl = s.lastIndexOf('\n', start - 1);
        String name = boundName(s, lower, start, Math.max(nl + 1, start - 64));
        if (name != null || nl < 0 || !VALUE_LINE.matcher(s).region(nl + 1, start).matches()) return name;
        // "- name: API_TOKEN\n  value: …" (Kubernetes, Compose, CI variables): the name is on the line before.
        int prev = s.lastIndexOf('\n', nl - 1);
        int nameAt = s.indexOf("name", prev + 1);
        if (nameAt < 0 || nameAt >= nl) return null;
        int lineEnd = nl;
        while (lineEnd > nameAt && " \t\r\",'".indexOf(s.charAt(lineEnd - 1)) >= 0) lineEnd--;
        return boundName(s, lower, lineEnd + 1, Math.max(nameAt, lineEnd - 64)) != null && lineEnd > nameAt ? s.substring(nameAt, lineEnd) : null;
    }

    private static String boundName(String s, String lower, int start, int from) {
        java.util.regex.Matcher rest = NAME_REST.matcher(s), binder = BINDER.matcher(s);
        for (int k = start - 2; k >= from; k--) {
            char c = lower.charAt(k);
            if (c < 'a' || c > 'z') continue;
            for (String w : BY_LETTER[c - 'a']) {
                int e = k + w.length();
                if (e > start || !lower.startsWith(w, k) || !wordEnd(s, k, e)) continue;
                if (w.length() <= 4 && !wordStart(s, k) && (e < s.length() && Character.isLetterOrDigit(s.charAt(e)))) continue;
                rest.region(e, start);
                if (!rest.lookingAt()) continue;
                int nameEnd = rest.end();
                // The value follows the name directly only through an operator or white space, never glued to it.
                if (nameEnd == start || !binder.region(nameEnd, start).matches()) continue;
                int nameStart = k;
                while (nameStart > from && (Character.isLetterOrDigit(s.charAt(nameStart - 1)) || "_.-".indexOf(s.charAt(nameStart - 1)) >= 0)) nameStart--;
                String name = s.substring(nameStart, nameEnd);
                return NOT_SECRET_NAME.matcher(name).find() ? null : name;
            }
        }
        return null;
    }

    private static boolean wordStart(String s, int k) {
        if (k == 0) return true;
        char before = s.charAt(k - 1);
        return !Character.isLetter(before) || Character.isLowerCase(before) && Character.isUpperCase(s.charAt(k));
    }

    /** The word ends at {@code e}: a non-letter, or a capital after a lower-case letter ("apiTokenValue"), or the end. */
    private static boolean wordEnd(String s, int k, int e) {
        if (e >= s.length()) return true;
        char after = s.charAt(e), last = s.charAt(e - 1);
        return !Character.isLetter(after) || Character.isUpperCase(after) && Character.isLowerCase(last);
    }

    /** A hash or id word in {@code lower[from, to)} ("commit", "sha256", "blob", …). */
    static boolean hashWords(String lower, int from, int to) {
        return HASH_WORDS.matcher(lower).region(from, to).find();
    }

    /** A hash word between the start of the name and the value ("sha256_key", "commit token"): an id, not a secret. */
    private static boolean hashContext(String lower, int from, int valueStart) {
        from = Math.max(0, from);
        while (from > 0 && (Character.isLetterOrDigit(lower.charAt(from - 1)) || "_-.".indexOf(lower.charAt(from - 1)) >= 0)) from--;
        return HASH_WORDS.matcher(lower).region(from, valueStart).find();
    }

    /** A vendor-looking prefix ("abc_", "ABCD-", "abc_live_", "hvx.") before a long random body: a token of a format no rule knows. */
    static boolean prefixed(String v) {
        var m = PREFIXED.matcher(v);
        if (!m.matches() || UUID.matcher(v).find() || PREFIX_STOP.matcher(m.group(1)).matches()) return false;
        if (m.group(1).chars().filter(Character::isDigit).count() > 1) return false; // "ec801bdf-…": hex, not a vendor's name
        String body = m.group(2);
        boolean hex = hex(body);
        if (hex && body.length() < 32) return false;
        return randomValue(body, null) && (hex || hasDigit(body) || body.length() >= 24);
    }

    private static final Pattern JWT_START = Pattern.compile("^(?:eyJ|eyA|ewo)");
    private static final Pattern DISCORD_SHAPE = Pattern.compile("^[\\w-]{22,28}\\.[\\w-]{4,8}\\.[\\w-]{20,40}$");

    /** A JWT-like or Discord-like dotted token is its rule's call: the rule has judged it (a bad header, a wrong length is no token). */
    private static boolean claimedDotted(String v, java.util.Set<String> disabled) {
        return !disabled.contains("jwt") && JWT_START.matcher(v).find() || !disabled.contains("discord-token") && DISCORD_SHAPE.matcher(v).matches();
    }

    /**
     * Two or three random parts joined by dots, the outer ones long: how signed tokens are built (a JWT's
     * header.payload.signature, a Discord bot token, a signed session or API token of a format no rule knows).
     */
    static boolean dottedRandom(String v) {
        if (v.length() < 40 || v.indexOf('.') < 0 || v.indexOf('/') >= 0 || v.indexOf('+') >= 0 || v.indexOf('~') >= 0) return false;
        String[] parts = v.split("\\.", -1);
        if (parts.length < 2 || parts.length > 3) return false;
        String first = parts[0], last = parts[parts.length - 1];
        if (first.length() < 16 || last.length() < 16 || parts.length == 3 && parts[1].length() < 4) return false;
        return randomValue(first, null) && randomValue(last, null);
    }

    /**
     * Random for its alphabet: long enough, entropy near that of random text, mixed classes, not words, a
     * path, a host, a version, a hash or prose. {@code name}: the credential name that binds it, or null.
     */
    static boolean randomValue(String v, String name) {
        if (Placeholders.isPlaceholder(v) || HASH_PREFIX.matcher(v).find()) return false;
        if (UUID.matcher(v).find()) return name != null && UUID.matcher(v).matches() && name.matches("(?i).*(?:key|token|secret|password|passwd|pwd)s?[\"']?")
                && !SecretDetector.repetitive(v.replace("-", ""));
        if (v.contains("://") || path(v) || dottedName(v) || words(v) || VERSION_OR_HOST.matcher(v).find()) return false;
        if (SecretDetector.repetitive(v) || SecretDetector.sequential(v)) return false;
        double h = Entropy.shannon(v);
        if (hex(v)) return v.length() >= 20 && hasDigit(v) && v.chars().anyMatch(Character::isLetter) && h >= Math.min(3.0, log2(v.length()) - 1.3);
        if (h < Math.min(3.5, log2(v.length()) - 0.6)) return false;
        int classes = (v.chars().anyMatch(Character::isLowerCase) ? 1 : 0) + (v.chars().anyMatch(Character::isUpperCase) ? 1 : 0) + (hasDigit(v) ? 1 : 0);
        if (classes < 2) return false;
        if (!hasDigit(v) && !caseSwitching(v)) return false; // "getPasswordFromEnvironment"
        return !base64Prose(v);
    }

    private static boolean hex(String v) {
        return v.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    }

    /** "com.example.Foo", "s.ZC9E…" is not: dotted parts that are all short or word-like. */
    static boolean dottedName(String v) {
        if (v.indexOf('.') < 0) return false;
        for (String p : v.split("\\.")) if (p.length() >= 12 && !words(p) && Entropy.shannon(p) >= 3.3) return false;
        return true;
    }

    private static final Pattern WORD_CHUNKS = Pattern.compile("(?:[A-Z][a-z]++|[a-z]{3,}+|[A-Z]{2,}(?![a-z])|[A-Z]?\\d{1,4}+)++"); // possessive: linear on long runs
    private static final Pattern LOWER_WORD = Pattern.compile("[A-Z][a-z]{2,}|[a-z]{3,}");

    /**
     * Words and numbers joined by _ - . or camel case ("id-Gost28147-89-None-KeyMeshing", "NEXUS-GPT4-API-KEY",
     * "PdfEncryptionKeySize"): a name, not a key. Without a lower-case word, a long part mixing letters
     * and digits makes it no name ("sqp_12345678ABCDEFH…", but "HAVE_GETHOSTBYNAME_R_3_ARG" is one).
     */
    static boolean words(String v) {
        String[] parts = v.split("[_.\\-]+");
        boolean longMixed = false; // a part of 9+ chars mixing letters and digits: "12345678ABCDEFH…", not "GETHOSTBYNAME", "SYSMEMINFO1"
        int n = 0;                 // lower-case words in parts of 4+ chars ("sqp_" is a prefix, not a word)
        for (String p : parts) {
            if (p.length() <= 3) continue;
            if (!WORD_CHUNKS.matcher(p).matches()) return false;
            longMixed |= p.length() > 8 && letterDigitSwitches(p) >= 2;
            for (var m = LOWER_WORD.matcher(p); m.find(); ) n++;
        }
        return parts.length > 1 ? n >= 1 || !longMixed : n >= 2;
    }

    private static int letterDigitSwitches(String p) {
        int n = 0;
        for (int i = 1; i < p.length(); i++) if (Character.isDigit(p.charAt(i)) != Character.isDigit(p.charAt(i - 1))) n++;
        return n;
    }

    private static boolean path(String v) {
        if (v.indexOf('/') < 0) return false;
        String[] parts = v.split("/");
        int words = 0, segments = 0;
        for (String p : parts) {
            if (p.isEmpty()) continue;
            segments++;
            if (p.matches("[a-z][a-z0-9_.-]*|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*(?:\\.[a-z]{1,5})?")) words++;
        }
        return segments >= 2 && words * 2 >= segments;
    }

    /** Letters only: random mixed case switches case at about every other char, camel-case words far less often. */
    private static boolean caseSwitching(String v) {
        int switches = 0, letters = 0;
        for (int i = 1; i < v.length(); i++) {
            char a = v.charAt(i - 1), b = v.charAt(i);
            if (Character.isLetter(a) && Character.isLetter(b)) {
                letters++;
                if (Character.isUpperCase(a) != Character.isUpperCase(b)) switches++;
            }
        }
        return letters > 0 && switches >= 0.3 * letters;
    }

    /** Base64 that decodes to words and spaces ("SGVsbG8gd29ybGQ…" = "Hello world…") is encoded text, not a key. */
    static boolean base64Prose(String v) {
        if (v.length() < 24 || v.length() % 4 != 0 || !v.matches("[A-Za-z0-9+/]+={0,2}")) return false;
        byte[] b;
        try {
            b = Base64.getDecoder().decode(v);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int letters = 0, spaces = 0;
        for (byte x : b) {
            if (x < 0x09 || x > 0x7e) return false;
            if (Character.isLetter(x)) letters++;
            if (x == ' ' || x == '\n') spaces++;
        }
        return spaces >= 2 && letters >= 0.6 * b.length;
    }

    private static boolean hasDigit(String v) {
        return v.chars().anyMatch(Character::isDigit);
    }

    private static double log2(int n) {
        return Math.log(n) / Math.log(2);
    }
}
