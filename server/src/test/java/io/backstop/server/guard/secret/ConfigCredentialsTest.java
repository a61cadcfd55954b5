package io.backstop.server.guard.secret;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.PiiScanner;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Credentials where configs and shell lines keep them; values are generated from a seed at run time. */
class ConfigCredentialsTest {
    private final PiiScanner scanner = new PiiScanner(Set.of("SECRET"));
    private final String pw = random(700, ALNUM, 14);

    private List<String> rules(String text) {
        return scanner.scan(text).stream().map(Finding::rule).toList();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aNetrcPasswordIsFoundOnOneLineOrSeveral() {
        assertThat(rules("machine api.example.org login deploy password " + pw)).containsExactly("netrc-password");
        assertThat(rules("machine api.example.org\n  login deploy\n  password " + pw)).containsExactly("netrc-password");
        assertThat(rules("machine api.example.org login deploy password $NETRC_PASSWORD")).isEmpty();
        assertThat(rules("The default machine needs a password before login.")).isEmpty();
    }

    @Test
    void passwordFlagsFollowedByASpace() {
        assertThat(rules("mytool --password " + pw + " --host db")).containsExactly("cli-password");
        assertThat(rules("mongosh mongodb://db --username admin --password " + pw)).containsExactly("cli-password");
        assertThat(rules("mysql -u root -p" + pw + " app")).containsExactly("cli-password");
        assertThat(rules("sshpass -p " + pw + " ssh deploy@host")).containsExactly("cli-password");
        assertThat(rules("docker login -u deploy -p " + pw + " registry.example.org")).containsExactly("cli-password");
        assertThat(rules("redis-cli -a " + pw + " -h cache")).containsExactly("cli-password");
        assertThat(rules("mytool --password \"$DB_PASSWORD\" --host db")).isEmpty();
        assertThat(rules("mysql -u root -p app")).as("-p alone prompts for the password").isEmpty();
        assertThat(rules("ssh -p 2222 deploy@host")).as("ssh's -p is a port").isEmpty();
        assertThat(rules("mytool --password-file /run/secrets/db --host db")).isEmpty();
    }

    @Test
    void aDockerConfigAuthIsBase64OfUserAndPassword() {
        assertThat(rules("{\"auths\": {\"registry.example.org\": {\"auth\": \"" + b64("deploy:" + pw) + "\"}}}")).containsExactly("docker-config-auth");
        assertThat(rules("{\"auths\": {\"registry.example.org\": {}}, \"credsStore\": \"desktop\"}")).as("a credential helper keeps it").isEmpty();
    }

    @Test
    void aBase64PemPrivateKeyAndABase64Jwt() {
        String pem = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + random(701, ALNUM, 64) + "\n-----END RSA " + "PRIVATE KEY-----\n";
        assertThat(rules("    client-key-data: " + b64(pem))).containsExactly("base64-private-key");
        assertThat(rules("    client-certificate-data: " + b64("-----BEGIN CERTIFICATE-----\n" + random(702, ALNUM, 64)))).isEmpty();
        String jwt = url("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + url("{\"sub\":\"" + random(703, ALNUM, 12) + "\"}") + "." + random(704, ALNUM, 43);
        assertThat(rules("token: " + b64(jwt))).contains("jwt-base64");
        assertThat(rules("blob: " + b64("eyJ" + random(705, ALNUM, 30) + "." + random(706, ALNUM, 30)))).as("no JSON header inside").isEmpty();
    }

    @Test
    void aWebhookUrlWithARandomPathSegment() {
        assertThat(rules("notify: https://chat.example.org/hooks/" + random(707, "abcdefghijklmnopqrstuvwxyz0123456789", 26))).containsExactly("webhook-url");
        assertThat(rules("see https://docs.example.org/webhooks/getting-started-with-incoming-webhooks")).isEmpty();
        assertThat(rules("https://github.com/acme/webhook-relay/commit/" + random(708, "0123456789abcdef", 40))).as("a commit id").isEmpty();
    }

    @Test
    void credentialsInXmlElementsAndUrlsWithoutAUser() {
        assertThat(rules("<server><id>r</id><username>u</username><password>" + pw + "</password></server>")).containsExactly("assignment");
        assertThat(rules("<gpg.key>9E31AB27445478DB</gpg.key>")).as("a key id").isEmpty();
        assertThat(rules("REDIS_URL=redis://:" + pw + "@cache:6379/0")).containsExactly("url-credentials");
        assertThat(rules("REDIS_URL=redis://cache:6379/0")).isEmpty();
    }

    private static String url(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
