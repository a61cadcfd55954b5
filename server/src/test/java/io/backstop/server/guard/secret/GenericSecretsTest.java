package io.backstop.server.guard.secret;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.HEX;
import static io.backstop.server.guard.GuardTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.normalize.TextNormalizer;
import io.backstop.server.guard.pii.Finding;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generic rules on token formats no rule knows (made-up vendors, seeded random bodies), measured with every
 * format rule switched off, as {@code guard secret-check} does; and the hard negatives they must leave alone.
 */
class GenericSecretsTest {
    private static final SecretDetector GENERIC = new SecretDetector(SecretDetector.formatRules());
    private static final SecretDetector FULL = new SecretDetector();
    private static final String B64 = ALNUM + "+/";

    private static List<Finding> find(SecretDetector d, String text) {
        List<Finding> out = new ArrayList<>();
        d.find(TextNormalizer.normalize(text), out);
        return out;
    }

    /** The found spans' text. */
    private static List<String> spans(SecretDetector d, String text) {
        return find(d, text).stream().map(f -> text.substring(f.start(), f.end())).toList();
    }

    @Test
    void aRandomTokenBoundToACredentialNameIsASecretWhateverItsFormat() {
        String k1 = random(101, ALNUM, 28), k2 = random(102, HEX, 40), k3 = random(103, B64, 44);
        assertThat(spans(GENERIC, "ZORBLY_SIGNING_KEY=" + k1)).containsExactly(k1);
        assertThat(spans(GENERIC, "{\"quuxClientSecret\": \"" + k2 + "\", \"region\": \"eu\"}")).containsExactly(k2);
        assertThat(spans(GENERIC, "frobnicate deploy --auth-token " + k3 + " --verbose")).containsExactly(k3);
        assertThat(spans(GENERIC, "X-Wibble-Key: " + k1)).containsExactly(k1);
        assertThat(spans(GENERIC, "zorbly:\n  webhook_secret: '" + k2 + "'\n")).containsExactly(k2);
        assertThat(spans(GENERIC, "<password>" + k1 + "</password>")).containsExactly(k1);
        assertThat(spans(GENERIC, "Authorization: Bearer " + k3)).containsExactly(k3);
        assertThat(spans(GENERIC, "- name: GADGET_API_TOKEN\n  value: \"" + k1 + "\"")).as("Kubernetes env entry: the name is a line above")
                .containsExactly(k1);
    }

    @Test
    void aVendorLookingPrefixBeforeALongRandomBodyIsASecretWithoutAName() {
        String t1 = "zrb_" + random(104, ALNUM, 36), t2 = "QWX-" + random(105, ALNUM, 30), t3 = "frob_live_" + random(106, ALNUM, 32);
        assertThat(spans(GENERIC, "use " + t1 + " for the sandbox")).containsExactly(t1);
        assertThat(spans(GENERIC, "token=" + t2)).containsExactly(t2);
        assertThat(spans(GENERIC, "(" + t3 + ")")).containsExactly(t3);
        assertThat(spans(GENERIC, "ghp_" + random(107, ALNUM, 36))).as("with its rule off, a GitHub token is still a prefixed random token").hasSize(1);
    }

    @Test
    void spansAreExactSoRedactionKeepsTheSurroundingText() {
        String k = random(108, ALNUM, 32);
        String text = "before api_key=\"" + k + "\"; after";
        List<Finding> f = find(FULL, text);
        assertThat(f).hasSize(1);
        assertThat(text.substring(0, f.getFirst().start())).isEqualTo("before api_key=\"");
        assertThat(text.substring(f.getFirst().end())).isEqualTo("\"; after");
        String padded = random(109, B64, 42) + "==";
        assertThat(spans(FULL, "signing_secret: " + padded + ".")).as("base64 padding kept, the full stop not").containsExactly(padded);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "commit 3f9a1c0d5e7b2a4c6d8e0f1a3b5c7d9e1f2a4b6c",
        "sha256sum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  app.jar",
        "image: registry.local/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUR4VZJlXl3ULH4yfw==\"",
        "md5 = 5d41402abc4b2a76b9719d911017c592",
        "request_id=7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "\"kms_key_id\": \"7c9e6679-7425-40de-944b-e07fc1f90ae7\"",
        "version = 1.24.3-SNAPSHOT, build 20231217_1420",
        "config_path = /etc/frobnicator/conf.d/credentials.yaml",
        "auth_url = https://login.example.org/oauth2/v2.0/authorize",
        "keyStore = PKCS12KeyStore.getInstance(KeyStoreType.DEFAULT);",
        "LLM_SECRET_NAME = \"NEXUS-GPT4-API-KEY\"",
        "doc.Security.KeySize = PdfEncryptionKeySize.Key128Bit;",
        "api_key = \"${FROBNICATOR_API_KEY}\"",
        "token: <YOUR_TOKEN_HERE>",
        "client_secret = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
        "gpg --keyserver hkps://keys.openpgp.org --recv-keys CC68F5A3106FF448322E48ED27F5E38D5B0A215F",
        "'HAVE_GETHOSTBYNAME_R_3_ARG': 0,",
        "<input type=\"hidden\" name=\"authenticity_token\" value=\"Zk3vQ9pL2mX7tR4wY8nB1cF6hJ0sD5gA\">",
    })
    void hashesIdsPathsVersionsNamesAndPlaceholdersAreNotSecrets(String text) {
        assertThat(find(FULL, text)).as(text).isEmpty();
        assertThat(find(GENERIC, text)).as(text).isEmpty();
    }

    @Test
    void base64OfProseIsEncodedTextNotAKey() {
        String prose = java.util.Base64.getEncoder().encodeToString("The quick brown fox jumps over the lazy dog again".getBytes());
        assertThat(find(FULL, "session_data = \"" + prose + "\"")).isEmpty();
        assertThat(GenericSecrets.base64Prose(prose)).isTrue();
        assertThat(GenericSecrets.base64Prose(random(110, B64, 40))).isFalse();
    }

    @Test
    void aTokenWithAKnownVendorsPrefixIsLeftToThatVendorsRule() {
        // "glpat_" is GitLab's prefix with the wrong separator: GitLab's rule rejects it, and the generic rules defer to it.
        assertThat(find(FULL, "glpat_" + random(111, ALNUM, 20))).isEmpty();
        assertThat(find(new SecretDetector(Set.of("gitlab-token")), "glpat-" + random(112, ALNUM, 20)))
                .as("with GitLab's rule off, its prefix is unknown and the token a prefixed random token").hasSize(1);
    }

    @Test
    void dottedRandomPartsAreASignedTokenOfAnyFormat() {
        String token = random(110, ALNUM, 26) + "." + random(111, ALNUM, 6) + "." + random(112, ALNUM + "_-", 38);
        assertThat(spans(GENERIC, "session " + token)).as("generic rules alone").containsExactly(token);
        String other = random(113, ALNUM, 30) + "." + random(114, ALNUM, 40);
        assertThat(spans(FULL, "cookie " + other)).containsExactly(other);
        assertThat(spans(FULL, "java.util.concurrent.ConcurrentHashMap.newKeySet")).as("a dotted name").isEmpty();
        assertThat(spans(FULL, "eyJ" + random(115, ALNUM, 30) + "." + random(116, ALNUM, 40))).as("JWT-shaped: the JWT rule's call, and its header is no JSON").isEmpty();
    }
}
