package io.backstop.server.guard.secret;

import io.backstop.server.guard.normalize.NormalizedText;
import io.backstop.server.guard.pii.Finding;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keys of services whose tokens have no telling prefix, found by the service's name in the variable
 * that holds them ({@code SNYK_TOKEN = "…"}, {@code messagebird_client_id: …}, {@code "sumoAccessKey" => "…"}),
 * after gitleaks' "semi-generic" rules: the name holds a service keyword, then an assignment, then a value
 * shaped like a key. Unlike the generic assignment rule the name need not end in key/token/secret (a
 * service's client id is a credential too), so the value is held to a key's shape instead: 14–135 key
 * chars with letters and digits (or a UUID), above an entropy floor, and not a placeholder, path, URL,
 * identifier or repeated pattern.
 */
final class VendorAssignments {
    static final String RULE = "service-assignment";
    /** Services after gitleaks' semi-generic rules (lower case; matched where a word of a name starts). */
    static final List<String> SERVICES = List.of(
            "adafruit", "adobe", "airtable", "algolia", "alibaba", "artifactory", "asana", "atlassian", "beamer", "bintray", "bitbucket",
            "bittrex", "clickhouse", "cloudflare", "codecov", "cohere", "co_api_key", "coinbase", "confluent", "contentful", "datadog",
            "discord", "droneci", "dropbox", "etsy", "facebook", "fastly", "finicity", "finnhub", "flickr", "freshbooks", "gitter",
            "gocardless", "heroku", "hetzner", "honeycomb", "hubspot", "intercom", "jfrog", "jira", "kraken", "kucoin", "launchdarkly",
            "linear", "linkedin", "linked_in", "linked-in", "linode", "lob", "looker", "mailchimp", "mailgun", "mailjet", "mapbox",
            "mattermost", "meraki", "messagebird", "message_bird", "message-bird", "netlify", "newrelic", "new_relic", "new-relic",
            "newyorktimes", "new-york-times", "nuget", "nytimes", "okta", "opsgenie", "pagerduty", "plaid", "postmark", "privateai",
            "private_ai", "private-ai", "pulumi", "pusher", "rapidapi", "sendbird", "sendgrid", "sentry", "shodan", "snyk", "sonar",
            "squarespace", "sumo", "telegram", "travis", "trello", "twilio", "twitch", "twitter", "typeform", "vultr", "wandb", "xray",
            "yandex", "zendesk");

    static final java.util.Set<String> CASE_SENSITIVE = java.util.Set.of("sumo", "meraki", "okta", "etsy", "lob", "linear", "jira", "xray");
    /** Services whose ids are digits only (gitleaks' Asana client id, Discord client id): the exact length is the shape. */
    private static final java.util.Map<String, Integer> DIGIT_IDS = java.util.Map.of("asana", 16, "discord", 18);
    /** Sumo Logic access ids: "su" and 12 letters or digits. */
    private static final Pattern SUMO_ID = Pattern.compile("su[A-Za-z0-9]{12}");

    /** From the service keyword: the rest of the name (up to two more words, "Adobe client id:"), an assignment operator, the value. */
    private static final Pattern ASSIGNMENT = Pattern.compile(
            "[\\w.-]{0,30}(?:[ \\t]{1,3}[\\w.-]{1,20}){0,2}[ \\t\"']{0,3}(?:=|:=|::=|:::=|\\?=|:|=>|>|,|\\|\\|)[ \\t\"'`=]{0,5}([A-Za-z0-9_.+/~=-]{14,135})(?![A-Za-z0-9_.+/~=-])");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern NOT_A_KEY = Pattern.compile("(?i)^(?:https?|ftp|file|www\\.)|://|^/|\\.(?:com|org|net|io|json|ya?ml|xml|txt|png|jpg|js|py|java|go)$");
    private static final double MIN_ENTROPY = 3.0;
    /** Between the service's name and the value: a version or a hash word makes the value a checksum (go.sum, lock files). */
    private static final Pattern HASH_CONTEXT = Pattern.compile("(?i)(?<![\\w.])v?\\d+\\.\\d+|\\bh1:|sha\\d|md5|hash|digest|checksum|integrity");

    private VendorAssignments() {}

    /** The services by first letter: a text is read once, trying only the names that start with the letter at a word start. */
    private static final String[][] BY_LETTER = new String[26][];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            char first = c;
            BY_LETTER[c - 'a'] = SERVICES.stream().filter(w -> w.charAt(0) == first).toArray(String[]::new);
        }
    }

    static void find(NormalizedText t, String s, String lower, List<Finding> out) {
        if (s.indexOf('=') < 0 && s.indexOf(':') < 0 && s.indexOf(',') < 0 && s.indexOf('|') < 0 && s.indexOf('>') < 0) return;
        Matcher m = null;
        for (int k = 0; k < s.length(); k++) {
            char c = lower.charAt(k);
            if (c < 'a' || c > 'z' || BY_LETTER[c - 'a'].length == 0 || !wordStart(s, k)) continue;
            for (String service : BY_LETTER[c - 'a']) {
                if (!lower.startsWith(service, k) || !nameWord(s, k, service.length())) continue;
                if (m == null) m = ASSIGNMENT.matcher(s);
                m.region(k + service.length(), Math.min(s.length(), k + service.length() + 200));
                if (!m.lookingAt()) continue;
                String v = SecretDetector.stripQuotes(m.group(1));
                if (HASH_CONTEXT.matcher(s).region(k, m.start(1)).find()) continue; // "linodego v1.8.0 h1:…": a go.sum hash
                if (keyShaped(v) || serviceId(service, v)) SecretDetector.add(t, out, m.start(1), m.start(1) + v.length(), 0.8, RULE);
            }
        }
    }

    /** A word starts at {@code k}: after a non-letter, or a capital after a lower-case letter ("mySumoKey"). */
    private static boolean wordStart(String s, int k) {
        if (k == 0) return true;
        char before = s.charAt(k - 1);
        return !Character.isLetter(before) || Character.isLowerCase(before) && Character.isUpperCase(s.charAt(k));
    }

    /**
     * Whether the keyword at {@code k} starts a word of a name ("sumo_key", "mySumoKey", not "CameraKit");
     * the keywords that are also common word parts ({@link #CASE_SENSITIVE}) must be written in lower case,
     * upper case or capitalised (as gitleaks' {@code [Ss]umo|SUMO}), not "sumObj".
     */
    static boolean nameWord(String s, int k, int n) {
        char first = s.charAt(k);
        if (!wordStart(s, k)) return false;
        if (!CASE_SENSITIVE.contains(s.substring(k, k + n).toLowerCase(java.util.Locale.ROOT))) return true;
        boolean lower = true, upper = true;
        for (int i = k + 1; i < k + n; i++) {
            char c = s.charAt(i);
            if (Character.isLetter(c)) {
                lower &= Character.isLowerCase(c);
                upper &= Character.isUpperCase(c);
            }
        }
        return lower || upper && Character.isUpperCase(first);
    }

    /** An id in a service's own shape that {@link #keyShaped} would not take: all digits, or no digit at all. */
    static boolean serviceId(String service, String v) {
        Integer digits = DIGIT_IDS.get(service);
        if (digits != null && v.length() == digits && v.chars().allMatch(Character::isDigit)) return !SecretDetector.repetitive(v) && !SecretDetector.sequential(v) && Entropy.shannon(v) >= 2.5;
        return service.equals("sumo") && SUMO_ID.matcher(v).matches() && !Placeholders.isPlaceholder(v) && Entropy.shannon(v) >= 3.0;
    }

    /** A value that looks like a generated key rather than a word, name, number, path or placeholder. */
    static boolean keyShaped(String v) {
        if (v.length() < 14 || Placeholders.isPlaceholder(v) || NOT_A_KEY.matcher(v).find()) return false;
        if (UUID.matcher(v).matches()) return !SecretDetector.repetitive(v.replace("-", ""));
        if (SecretDetector.identifierWords(v) || SecretDetector.repetitive(v) || SecretDetector.sequential(v)) return false;
        if (SecretDetector.dottedIdentifier(v) && GenericSecrets.dottedName(v)) return false; // "com.example.Foo", not "pk.<60 random>.<22 random>"
        boolean digit = false, letter = false;
        for (int i = 0; i < v.length(); i++) {
            digit |= Character.isDigit(v.charAt(i));
            letter |= Character.isLetter(v.charAt(i));
        }
        return letter && digit && Entropy.shannon(v) >= MIN_ENTROPY;
    }
}
