package io.backstop.server.guard.secret;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.HEX;
import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.GuardTestData;
import io.backstop.server.guard.pii.Finding;
import io.backstop.server.guard.pii.PiiScanner;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every published token format: a token in the format is found by its rule, and a near miss (one char
 * short or long, a masked value; a two-letter prefix alone is no vendor's, so a random token with one is the
 * generic rules' call) is found by no rule at all. Tokens are generated from a seed at run time,
 * so this source holds nothing a secret scanner would flag.
 */
class PublishedFormatsTest {
    private static final PiiScanner SCANNER = new PiiScanner(Set.of("SECRET"));
    private static final AtomicLong SEED = new AtomicLong(500);
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String DIGITS = "0123456789";

    private static String r(int n) {
        return GuardTestData.random(SEED.incrementAndGet(), ALNUM, n);
    }

    private static String h(int n) {
        return GuardTestData.random(SEED.incrementAndGet(), HEX, n);
    }

    private static String lo(int n) {
        return GuardTestData.random(SEED.incrementAndGet(), LOWER, n);
    }

    private static String up(int n) {
        return GuardTestData.random(SEED.incrementAndGet(), UPPER, n);
    }

    private static String d(int n) {
        return GuardTestData.random(SEED.incrementAndGet(), "123456789", 1) + GuardTestData.random(SEED.incrementAndGet(), DIGITS, n - 1);
    }

    private static String uuid() {
        return h(8) + "-" + h(4) + "-" + h(4) + "-" + h(4) + "-" + h(12);
    }

    private static Arguments format(String rule, String token, String nearMiss) {
        return Arguments.of(rule, token, nearMiss);
    }

    static Stream<Arguments> formats() {
        String x = "x".repeat(43);
        return Stream.of(
                format("gitlab-session-cookie", "_gitlab_session=" + lo(32), "_gitlab_session=" + "x".repeat(32)),
                format("atlassian-cloud-token", "ATCTT3xFfG" + r(180) + "=" + r(8), "ATCTT3xFfG" + r(180) + "=" + r(7)),
                format("bitbucket-datacenter-token", "BBDC-" + r(44), "BBDC-" + r(39)),
                format("buildkite-token", "bkua_" + lo(40), "bkua_" + lo(39)),
                format("circleci-token", "CCIPAT_" + r(22) + "_" + h(40), "CCIPAT_" + r(22) + "_" + h(39)),
                format("sonarqube-token", "squ_" + h(40), "squ_" + h(39)),
                format("figma-token", "figd_" + r(43), "figd_" + r(39)),
                format("deno-token", "ddp_" + r(36), "ddp_" + r(35)),
                format("nuget-api-key", "dotnet nuget push -k oy2" + lo(43), "dotnet nuget push -k oy2" + lo(42)),
                format("crates-io-token", "cio" + r(30) + "7q", "cio" + r(29) + "7q"),
                format("endorlabs-key", "endr+" + r(16), "endr+" + r(15)),
                format("trufflehog-enterprise-key", "thog-secret-" + h(32), "thog-secret-" + h(31)),
                format("aws-session-token", "FwoGZXIvYXdz" + r(200), "FwoGZXIvYXdz" + r(20)),
                format("google-oauth-client-secret", "GOCSPX-" + r(28), "GOCSPX-" + r(27)),
                format("firebase-cloud-messaging-key", "AAAA" + r(7) + ":APA91b" + r(134), "AAAA" + r(7) + ":APA91b" + "x".repeat(134)),
                format("azure-container-registry-key", r(42) + "+ACR" + r(6), r(41) + "+ACR" + r(6)),
                format("azure-shared-access-key", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=" + r(43) + "=",
                        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=" + "x".repeat(43) + "="),
                format("azure-app-config-secret", "Endpoint=https://cfg.azconfig.io;Id=" + r(20) + ";Secret=" + r(44),
                        "Endpoint=https://cfg.azconfig.io;Id=" + r(20) + ";Secret=" + "x".repeat(44)),
                format("azure-sas-token", "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&sig=" + r(43) + "%3D",
                        "https://acct.blob.core.windows.net/c/f?ss=b&srt=o&sp=r&sig=" + r(43) + "%3D"),
                format("cloudflare-origin-ca-key", "v1.0-" + h(24) + "-" + h(146), "v1.0-" + h(24) + "-" + h(145)),
                format("cloudflare-api-token", "cfut_" + r(40) + h(8), "cfut_" + r(40) + h(7)),
                format("akamai-client-token", "client_token = akab-" + lo(16) + "-" + lo(16), "client_token = akab-" + lo(16) + "-" + "x".repeat(16)),
                format("scaleway-access-key", "SCW" + up(15) + "7Q", "SCW" + up(14) + "7Q"),
                format("tailscale-key", "tskey-auth-" + r(12) + "CNTRL-" + r(30), "tskey-auth-" + r(5)),
                format("render-api-key", "rnd_" + r(30) + "5x", "rnd_" + r(29) + "5x"),
                format("netlify-token", "nfp_" + r(36), "nfp_" + r(35)),
                format("supabase-token", "sbp_" + lo(40), "sbp_" + lo(39)),
                format("salesforce-token", "00D" + r(12) + "!" + r(96), "00D" + r(12) + "!" + r(95)),
                format("newrelic-other-key", "NRBR-" + h(19), "NRBR-" + h(18)),
                format("fullstory-key", "na1." + r(100), "na1." + r(99)),
                format("posthog-personal-key", "phx_" + r(43), "phx_" + r(42)),
                format("langsmith-key", "lsv2_pt_" + h(32) + "_" + h(10), "lsv2_pt_" + h(32) + "_" + h(9)),
                format("pinecone-key", "pcsk_" + r(6) + "_" + r(63), "pcsk_" + r(6) + "_" + r(62)),
                format("nvidia-api-key", "nvapi-" + r(64), "nvapi-" + r(63)),
                format("replicate-token", "r8_" + r(35) + "9z", "r8_" + "x".repeat(37)),
                format("elevenlabs-key", "sk_" + h(48), "sk_" + "x".repeat(48)),
                format("apify-token", "apify_api_" + r(36), "apify_api_" + r(35)),
                format("adafruit-io-key", "aio_" + r(26) + "4k", "aio_" + r(25) + "4k"),
                format("zoho-token", "1000." + h(32) + "." + h(32), "1000." + h(32) + "." + h(31)),
                format("voiceflow-key", "VF.DM." + h(24) + "." + r(16), "VF.DM." + h(24) + "." + r(15)),
                format("sourcegraph-cody-token", "slk_" + h(64), "slk_" + h(63)),
                format("rootly-token", "rootly_" + h(64), "rootly_" + h(63)),
                format("salad-cloud-key", "salad_cloud_" + r(5) + "_" + r(40), "salad_cloud_" + r(5) + "_" + r(6)),
                format("ubidots-token", "BBFF-" + r(30), "BBFF-" + r(29)),
                format("bannerbear-key", "bb_pr_" + h(30), "bb_pr_" + h(29)),
                format("stripe-webhook-secret", "whsec_" + r(32), "whsec_" + "x".repeat(32)),
                format("braintree-access-token", "access_token$production$" + lo(16) + "$" + h(32), "access_token$production$" + lo(16) + "$" + h(31)),
                format("plaid-access-token", "access-sandbox-" + uuid(), "access-sandbox-" + h(8)),
                format("pagarme-key", "ak_live_" + r(30), "ak_live_" + "x".repeat(30)),
                format("ramp-key", "ramp_sec_" + r(48), "ramp_sec_" + r(47)),
                format("fleetbase-key", "flb_live_" + r(20), "flb_live_" + r(19)),
                format("flexport-key", "shltm_" + r(40), "shltm_" + r(39)),
                format("asana-pat", "2/" + d(16) + "/" + d(16) + ":" + h(32), "2/" + d(16) + "/" + d(16) + ":" + h(31)),
                format("clickup-token", "pk_" + d(8) + "_" + up(32), "pk_" + d(8) + "_" + up(31)),
                format("linear-oauth-token", "lin_oauth_" + h(64), "lin_oauth_" + h(63)),
                format("notion-legacy-token", "secret_" + r(41) + "8a", "secret_" + x),
                format("contentful-pat", "CFPAT-" + r(43), "CFPAT-" + r(42)),
                format("mapbox-public-token", "pk.eyJ1Ijoi" + r(40) + "." + r(22), "pk.eyJ1Ijoi" + r(40) + "." + r(12)),
                format("zapier-webhook", "https://hooks.zapier.com/hooks/catch/" + d(7) + "/" + lo(6) + "/", "https://hooks.zapier.com/hooks/catch/"),
                format("tines-webhook", "https://acme.tines.com/webhook/" + lo(32) + "/" + lo(32), "https://acme.tines.com/webhook/" + "x".repeat(32) + "/" + "x".repeat(32)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void aTokenInThePublishedFormatIsFoundAndANearMissIsNot(String rule, String token, String nearMiss) {
        assertThat(rules(token)).as(rule).contains(rule);
        assertThat(rules(nearMiss)).as(rule + " near miss").isEmpty();
    }

    private static List<String> rules(String text) {
        return SCANNER.scan(text).stream().map(Finding::rule).toList();
    }
}
