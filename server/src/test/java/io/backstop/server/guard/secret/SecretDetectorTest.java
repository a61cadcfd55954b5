package io.backstop.server.guard.secret;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.HEX;
import static io.backstop.server.guard.GuardTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.PiiScanner;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tokens are generated from a seed at run time, so these sources hold nothing a secret scanner would flag. */
class SecretDetectorTest {
    private final PiiScanner scanner = new PiiScanner(Set.of("SECRET"));

    private List<String> rules(String text) {
        return scanner.scan(text).stream().map(Finding::rule).toList();
    }

    @Test
    void vendorTokensAreFoundByShape() {
        assertThat(rules("token: " + "ghp_" + random(1, ALNUM, 36))).containsExactly("github-token");
        assertThat(rules("export GL=" + "glpat-" + random(2, ALNUM, 20))).containsExactly("gitlab-token");
        assertThat(rules("key " + "AKIA" + random(3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))).containsExactly("aws-access-key-id");
        assertThat(rules("slack " + "xoxb-" + random(4, "0123456789", 12) + "-" + random(5, ALNUM, 24))).containsExactly("slack-token");
        assertThat(rules("sk_" + "live_" + random(6, ALNUM, 24))).containsExactly("stripe-key");
        assertThat(rules("OPENAI_API_KEY=sk-" + random(7, ALNUM, 20) + "T3Blbk" + "FJ" + random(8, ALNUM, 20))).containsExactly("openai-key");
        assertThat(rules("bot " + random(9, "123456789", 9) + ":AA" + random(10, ALNUM, 33))).containsExactly("telegram-bot-token");
        assertThat(rules("npm " + "npm_" + random(11, ALNUM, 36))).containsExactly("npm-token");
        assertThat(rules(random(12, HEX, 32) + "-us12")).containsExactly("mailchimp-key");
    }

    @Test
    void moreTokenFamiliesAreFoundByShape() {
        assertThat(rules("OPENROUTER_API_KEY=sk-or-v1-" + random(20, HEX, 64))).containsExactly("openrouter-or-generic-sk-key");
        assertThat(rules("docker login -p dckr_pat_" + random(21, ALNUM, 27))).containsExactly("docker-hub-token");
        assertThat(rules("token sl." + random(22, ALNUM, 138))).containsExactly("dropbox-token");
        assertThat(rules("key " + "AQVN" + random(23, ALNUM, 36))).containsExactly("yandex-key");
        assertThat(rules("bearer ya29." + random(24, ALNUM, 60))).containsExactly("google-oauth-token");
        assertThat(rules("sdk key sdk-" + random(25, HEX, 8) + "-" + random(26, HEX, 4) + "-" + random(27, HEX, 4) + "-" + random(28, HEX, 4) + "-" + random(29, HEX, 12)))
                .containsExactly("launchdarkly-key");
        assertThat(rules("sk-learn and sk-" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).as("no entropy, no key").isEmpty();
    }

    @Test
    void privateKeysJwtsAndCredentialUrlsAreFound() {
        String key = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + random(13, ALNUM, 64) + "\n-----END RSA " + "PRIVATE KEY-----";
        assertThat(rules(key)).containsExactly("private-key");
        String jwt = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + b64("{\"sub\":\"" + random(14, ALNUM, 12) + "\"}") + "." + random(15, ALNUM, 43);
        assertThat(rules("Authorization header value " + jwt)).contains("jwt");
        assertThat(rules("DATABASE_URL=postgres://app:" + random(16, ALNUM, 14) + "@db.internal:5432/app")).containsExactly("url-credentials");
    }

    @Test
    void passwordAssignmentsNeedARandomLookingValue() {
        assertThat(rules("db_password = \"" + random(17, ALNUM, 16) + "\"")).containsExactly("assignment");
        assertThat(rules("client_secret: " + random(18, HEX, 40))).containsExactly("assignment");
        assertThat(rules("password = \"aaaaaaaaaaaaaaaa\"")).isEmpty();        // below the entropy floor
        assertThat(rules("secret_name = \"shorter-version\"")).isEmpty();       // words, not a key
        assertThat(rules("key_length = XSalsa20.key_length")).isEmpty();        // code
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "api_key = \"<YOUR_API_KEY>\"",
            "API_KEY=${API_KEY}",
            "token: $API_TOKEN",
            "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
            "curl -u \"$USER:$PASSWORD\" https://example.com",
            "Authorization: Bearer $API_KEY",
            "password: {{ .Values.password }}",
            "secret = os.environ[\"SECRET\"]",
            "glpat-XXXXXXXXXXXXXXXXXXXX",
            "AWS_SECRET_ACCESS_KEY=your_secret_key_here"})
    void placeholdersAndEnvironmentReferencesAreNotSecrets(String text) {
        assertThat(rules(text)).isEmpty();
    }

    @Test
    void aServiceNameInTheVariableMakesAKeyShapedValueASecret() {
        String uuid = random(20, HEX, 8) + "-" + random(21, HEX, 4) + "-" + random(22, HEX, 4) + "-" + random(23, HEX, 4) + "-" + random(24, HEX, 12);
        assertThat(rules("const MessageBirdClientID = \"" + uuid + "\"")).containsExactly("service-assignment");
        assertThat(rules("SumoCollector: " + random(25, ALNUM, 64))).containsExactly("service-assignment");
        assertThat(rules("\"zendeskSettings\" => '" + random(26, ALNUM, 40) + "'")).containsExactly("service-assignment");
        assertThat(rules("sumObj = " + random(27, ALNUM, 14))).as("sumo written as another word's part").isEmpty();
        assertThat(rules("ReactNativeCameraKit: " + random(28, HEX, 40))).as("meraki inside another word").isEmpty();
        assertThat(rules("meraki: abdefghjk0123456789mnopqrstuvwx12345678")).as("an alphabet, not a key").isEmpty();
        assertThat(rules("twitter_handle = jane_doe_official")).as("words, not a key").isEmpty();
        assertThat(rules("sentry_dsn = https://example.org/project/settings")).as("a URL").isEmpty();
    }

    @Test
    void curlCredentialsWithAnEqualsSignOrNoSpace() {
        assertThat(rules("curl --user=deploy:" + random(31, ALNUM, 16) + " https://api.example.org")).containsExactly("curl-credentials");
        assertThat(rules("curl -udeploy:" + random(32, ALNUM, 16) + " https://api.example.org")).containsExactly("curl-credentials");
        assertThat(rules("curl --url https://api.example.org/a:b")).isEmpty();
    }

    @Test
    void aJwtWhoseHeaderIsAnyJsonObject() {
        String header = b64("{ \"kid\": \"k1\", \"alg\": \"RS256\" }"), other = b64("{\"cty\":\"JWT\",\"zip\":\"DEF\"}");
        String payload = b64("{\"sub\":\"" + random(33, ALNUM, 12) + "\",\"iat\":1700000000}");
        assertThat(rules("token " + header + "." + payload + "." + random(34, ALNUM, 43))).containsExactly("jwt");
        assertThat(rules("token " + other + "." + payload + "." + random(35, ALNUM, 43))).containsExactly("jwt");
        assertThat(rules("eyJ" + random(36, ALNUM, 20) + ".eyJ" + random(37, ALNUM, 20))).as("random base64, no JSON header").isEmpty();
    }

    @Test
    void tokenFamiliesAreReadAsWideAsTheirPublishedFormats() {
        String lower = "abcdefghijklmnopqrstuvwxyz0123456789";
        assertThat(rules("TWILIO_SID=AC" + random(40, lower, 32))).as("Twilio SIDs in lower-case alphanumerics").containsExactly("twilio-key");
        assertThat(rules("TWILIO_KEY=SK" + random(41, "0123456789ABCDEF", 32))).containsExactly("twilio-key");
        assertThat(rules("bot " + random(42, "123456789", 9) + ":" + random(43, ALNUM, 35))).as("a bot token without the AA").containsExactly("telegram-bot-token");
        assertThat(rules("chimp " + random(44, lower, 32) + "-us6")).containsExactly("mailchimp-key");
        assertThat(rules("token: ghp_" + random(45, ALNUM, 20) + "_" + random(46, ALNUM, 15))).containsExactly("github-token");
        assertThat(rules("SQUARE=sq0atp-" + random(47, ALNUM, 40))).containsExactly("square-token");
        assertThat(rules("aws_key = \"" + random(48, ALNUM + "/+", 40) + "\"")).containsExactly("aws-secret-access-key");
        assertThat(rules("flags: glffct-" + random(49, ALNUM, 20))).containsExactly("gitlab-token");
        assertThat(rules("CLICKHOUSE_SECRET=4b1d" + random(50, ALNUM, 38))).containsExactly("clickhouse-secret-key");
        assertThat(rules("airtable pat" + random(51, ALNUM, 14) + "." + random(52, HEX, 64))).containsExactly("airtable-pat");
        assertThat(rules("X-JFrog-Art-Api cmVmd" + random(53, ALNUM, 59))).containsExactly("artifactory-reference-token");
        assertThat(rules("<add key=\"ClearTextPassword\" value=\"" + random(54, ALNUM, 12) + "\" />")).containsExactly("nuget-config-password");
    }

    @Test
    void widerFamiliesStillSkipPlaceholdersAndOrdinaryText() {
        assertThat(rules("TWILIO_SID=ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")).isEmpty();
        assertThat(rules("TWILIO_SID=ACcountnumberforthewholeprojectsx")).as("letters only: a word, not a SID").isEmpty();
        assertThat(rules("at 1700000000:" + "a".repeat(35))).as("no entropy").isEmpty();
        assertThat(rules("<add key=\"ClearTextPassword\" value=\"%NUGET_PASSWORD%\" />")).isEmpty();
        assertThat(rules("<add key=\"ClearTextPassword\" value=\"${NUGET_PASSWORD}\" />")).isEmpty();
        assertThat(rules("aws_key = \"" + "x".repeat(40) + "\"")).isEmpty();
        assertThat(rules("The AWS key rotation guide explains how to rotate a key every 90 days.")).isEmpty();
    }

    @Test
    void theShapesGitleaksPublishesForFamiliesWeKnew() {
        String lower = "abcdefghijklmnopqrstuvwxyz0123456789";
        assertThat(rules("FLWSECK_TEST-" + random(60, "abcdefgh0123456789", 12))).as("with the hyphen").containsExactly("flutterwave-key");
        assertThat(rules("FLWSECK-" + random(61, lower, 32) + "-X")).as("a live key").containsExactly("flutterwave-key");
        assertThat(rules("sk_prod_" + random(62, ALNUM, 24))).containsExactly("stripe-key");
        assertThat(rules("glpat-" + random(87, ALNUM, 40) + "." + random(88, lower, 9))).as("a routable token").containsExactly("gitlab-token");
        assertThat(rules("sat." + random(63, ALNUM, 22) + "." + random(64, ALNUM, 24) + "." + random(65, ALNUM, 20))).containsExactly("harness-token");
        assertThat(rules("<add key=\"Password\"value=\"" + random(66, ALNUM, 12) + "\" />")).containsExactly("nuget-config-password");
        assertThat(rules("SG." + random(67, ALNUM + "_-", 66))).containsExactly("sendgrid-key");
        assertThat(rules("https://hooks.slack.com/triggers/" + random(68, ALNUM, 48))).containsExactly("slack-webhook");
        assertThat(rules("xoxb-" + random(69, "0123456789", 12) + "-" + random(70, "0123456789", 13))).as("digits only").containsExactly("slack-token");
        assertThat(rules("xoxb-1234567890-1234567890")).as("a docs example").isEmpty();
        assertThat(rules("telegram " + random(71, "123456789", 6) + ":A" + random(72, ALNUM, 34))).containsExactly("telegram-bot-token");
        assertThat(rules("SK" + random(73, "0123456789abcdefABCDEF", 30) + "7f")).containsExactly("twilio-key");
        assertThat(rules("VAULT_TOKEN=s." + random(74, lower, 22) + "7q")).as("lower case").containsExactly("vault-token");
        assertThat(rules(random(75, "123456789", 15) + "%" + random(76, ALNUM, 32))).containsExactly("facebook-token");
        assertThat(rules("sgp_" + random(77, HEX, 16) + "_" + random(78, HEX, 40))).containsExactly("sourcegraph-token");
        assertThat(rules("BUNDLE_GEMS__CONTRIBSYS__COM.token => \"" + random(79, HEX, 8) + ":" + random(80, HEX, 8) + "\"")).containsExactly("sidekiq-secret");
        assertThat(rules("u-s4t2ud-" + random(81, HEX, 64))).containsExactly("intra42-secret");
        assertThat(rules("NRAK-" + random(82, lower, 27))).containsExactly("newrelic-key");
        assertThat(rules("shippo_live_" + random(83, "0123456789abcdefABCDEF", 40))).containsExactly("shippo-token");
        String bearer = "A".repeat(22) + random(84, ALNUM, 80);
        assertThat(rules("TWITTER_BEARER=" + bearer)).as("22 A's are the format, not a mask").contains("twitter-bearer-token");
        String secret = "apiVersion: v1\ndata:\n  password: " + java.util.Base64.getEncoder().encodeToString(random(85, ALNUM, 16).getBytes()) + "\nkind: Secret\n";
        assertThat(rules(secret)).containsExactly("kubernetes-secret-data-first");
        assertThat(rules("apiVersion: v1\ndata:\n  app.conf: " + java.util.Base64.getEncoder().encodeToString(random(86, ALNUM, 16).getBytes()) + "\nkind: ConfigMap\n")).isEmpty();
    }

    @Test
    void serviceIdsInTheirOwnShapeAndMoreServiceNames() {
        assertThat(rules("asana_client_id = " + random(90, "123456789", 16))).containsExactly("service-assignment");
        assertThat(rules("DISCORD_CLIENT_ID=" + random(91, "123456789", 18))).containsExactly("service-assignment");
        assertThat(rules("discord_client_id = 1234567890")).as("not the id's length").isEmpty();
        assertThat(rules("SUMO_ID=su" + random(92, ALNUM, 12))).containsExactly("service-assignment");
        assertThat(rules("<jfrogApiKey>" + random(93, ALNUM, 64) + "</jfrogApiKey>")).as("an XML element").contains("service-assignment");
        assertThat(rules("MAPBOX_TOKEN=pk." + random(94, ALNUM, 60) + "." + random(95, ALNUM, 22))).containsExactly("service-assignment");
        assertThat(rules("github.com/linode/linodego v1.8.0 h1:" + random(96, ALNUM, 43) + "=")).as("a go.sum hash").isEmpty();
    }

    @Test
    void aPrivateKeyHeaderAloneIsFlagged() {
        assertThat(rules("-----BEGIN OPENSSH " + "PRIVATE KEY-----")).containsExactly("private-key-header");
        assertThat(rules("PuTTY-User-Key-File-2: ssh-rsa")).containsExactly("private-key-header");
        assertThat(rules("-----BEGIN PUBLIC KEY-----")).isEmpty();
        assertThat(rules("How do I convert a private key to PEM?")).isEmpty();
    }

    @Test
    void aKeyInBracesIsNotATemplateField() {
        assertThat(rules("curl -u \"{user_name}\":\"{api_key}\" https://api.example.org")).isEmpty();
        assertThat(rules("curl --user \"{" + random(29, HEX, 8) + "}\":\"{Zq" + random(30, ALNUM, 10) + "7a}\" https://api.example.org")).containsExactly("curl-credentials");
    }

    @Test
    void onTheTrainingSideOfTheDataSecretsAreFoundPrecisely() {
        var rows = io.backstop.server.guard.GuardTestData.trainSide("pii.jsonl");
        int tp = 0, fp = 0, fn = 0;
        for (var r : rows) {
            boolean p = !scanner.scan(r.text()).isEmpty(), a = r.types().contains("SECRET");
            if (p && a) tp++;
            else if (p) fp++;
            else if (a) fn++;
        }
        assertThat((double) tp / (tp + fn)).as("recall").isGreaterThan(0.95);
        assertThat((double) tp / (tp + fp)).as("precision").isGreaterThan(0.95);
    }

    private static String b64(String s) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes());
    }
}
