package io.backstop.server.guard.secret;

import static io.backstop.server.guard.secret.SecretRule.anchored;

import java.util.List;

/**
 * Token formats with a distinctive prefix or a fixed shape, from the vendors' published formats as the
 * public scanner rule sets list them (gitleaks' config, trufflehog's detectors, GitHub's secret-scanning
 * partner patterns). Written for this project; each rule names the vendor and its anchors are the literal
 * prefixes every match starts with, so a text without one costs a substring search, not a regex run.
 */
final class PublishedFormats {
    private static final String B = "(?<![\\w-])";   // token start
    private static final String E = "(?![\\w-])";    // token end
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    static final List<SecretRule> TOKENS = List.of(
            // Source hosting, CI and developer platforms
            anchored("gitlab-session-cookie", "_gitlab_session=[0-9a-z]{32}" + E, 0, 3.0, "_gitlab_session="),
            anchored("atlassian-cloud-token", B + "(?:ATCTT3xFfG|ATATT3)[A-Za-z0-9+/=_-]{20,400}=[A-Za-z0-9]{8}" + E, 0, 3.5, "ATCTT3xFfG", "ATATT3"),
            anchored("bitbucket-datacenter-token", B + "BBDC-[A-Za-z0-9+/@_-]{40,50}(?![A-Za-z0-9+/@_-])", 0, 3.5, "BBDC-"),
            anchored("buildkite-token", B + "bkua_[a-z0-9]{40}" + E, 0, 3.0, "bkua_"),
            anchored("circleci-token", B + "CCIP(?:AT|RJ)_[A-Za-z0-9]{22}_[a-fA-F0-9]{40}" + E, 0, 3.0, "CCIPAT_", "CCIPRJ_"),
            anchored("sonarqube-token", B + "(?:sq[upa]_[a-f0-9]{40}|sqco_[A-Za-z0-9]{59})" + E, 0, 3.0, "squ_", "sqp_", "sqa_", "sqco_"),
            anchored("figma-token", B + "fig[dp]_[A-Za-z0-9_=-]{40,54}" + E, 0, 3.5, "figd_", "figp_"),
            anchored("deno-token", B + "dd[pw]_[A-Za-z0-9]{36}" + E, 0, 3.0, "ddp_", "ddw_"),
            anchored("nuget-api-key", B + "oy2[a-z0-9]{43}" + E, 0, 3.5, "oy2"),
            anchored("crates-io-token", B + "cio(?=[A-Za-z]*\\d)[A-Za-z0-9]{32}" + E, 0, 3.5, "cio"),
            anchored("endorlabs-key", B + "endr\\+[A-Za-z0-9-]{16}" + E, 0, 3.0, "endr+"),
            anchored("trufflehog-enterprise-key", B + "thog-(?:key-[0-9a-f]{16}|secret-[0-9a-f]{32})" + E, 0, 3.0, "thog-"),
            // Cloud, infrastructure and hosting
            anchored("aws-session-token", "(?<![A-Za-z0-9+/])(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9+/]{100,1500}={0,2}", 0, 4.0, "FwoGZXIvYXdz", "IQoJb3JpZ2lu"),
            anchored("google-oauth-client-secret", B + "GOCSPX-[A-Za-z0-9_-]{28}" + E, 0, 3.0, "GOCSPX-"),
            anchored("firebase-cloud-messaging-key", B + "AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{100,160}" + E, 0, 3.5, ":APA91b"),
            anchored("azure-container-registry-key", "(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}\\+ACR[A-Za-z0-9]{6}(?![A-Za-z0-9+/])", 0, 3.5, "+ACR"),
            anchored("azure-shared-access-key", "(?i)SharedAccessKey=([A-Za-z0-9+/]{42,44}={0,2})", 1, 3.5, "sharedaccesskey="),
            anchored("azure-app-config-secret", "Endpoint=https://[\\w-]+\\.azconfig\\.io;Id=[^;\\s]{1,100};Secret=([A-Za-z0-9+/=]{20,100})", 1, 3.0, ".azconfig.io"),
            anchored("azure-sas-token", "(?i)\\bsv=\\d{4}-\\d{2}-\\d{2}&[^\\s\"'<>]{0,300}?\\bsig=([A-Za-z0-9%+/]{40,100}(?:%3D|=){0,2})", 1, 3.5, "sig="),
            anchored("cloudflare-origin-ca-key", B + "v1\\.0-[A-Za-z0-9-]{171}" + E, 0, 3.0, "v1.0-"),
            anchored("cloudflare-api-token", B + "cf(?:ut|at|k)_[A-Za-z0-9]{40}[a-f0-9]{8}" + E, 0, 3.0, "cfut_", "cfat_", "cfk_"),
            anchored("akamai-client-token", B + "akab-[a-z0-9]{16}-[a-z0-9]{16}" + E, 0, 3.0, "akab-"),
            anchored("scaleway-access-key", B + "SCW(?=[A-Z]*\\d)[A-Z0-9]{17}" + E, 0, 3.0, "SCW"),
            anchored("tailscale-key", B + "tskey-[a-z]{3,10}-[0-9A-Za-z_]{8,40}-[0-9A-Za-z_]{16,64}" + E, 0, 3.0, "tskey-"),
            anchored("render-api-key", B + "rnd_(?=[A-Za-z]*\\d)[A-Za-z0-9]{32}" + E, 0, 3.5, "rnd_"),
            anchored("netlify-token", B + "nfp_[A-Za-z0-9]{36}" + E, 0, 3.5, "nfp_"),
            anchored("supabase-token", B + "(?:sbp_[a-z0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,64})" + E, 0, 3.0, "sbp_", "sb_secret_"),
            anchored("salesforce-token", "(?<![\\w!])00[A-Za-z0-9]{13}![A-Za-z0-9_.]{96}(?![\\w.])|" + B + "(?:3MVG9[0-9A-Za-z._+/=]{80,251}|5AEP861[A-Za-z0-9._=]{80,400})", 0, 3.5, "!", "3MVG9", "5AEP861"),
            // Observability, data and AI platforms
            anchored("newrelic-other-key", B + "(?:NRBR-[a-f0-9]{19}|NRIQ-[A-Za-z0-9_-]{25,32}|(?:[a-f0-9]{32}|eu01xx[a-f0-9]{26})FFFFNRAL|(?:AA[a-f0-9]{40}|eu01xx[a-f0-9]{36})-NRMA)" + E, 0, 3.0, "NRBR-", "NRIQ-", "FFFFNRAL", "-NRMA"),
            anchored("fullstory-key", B + "na1\\.[A-Za-z0-9+/]{100}(?![A-Za-z0-9+/])", 0, 4.0, "na1."),
            anchored("posthog-personal-key", B + "phx_[A-Za-z0-9_]{43,48}" + E, 0, 3.5, "phx_"),
            anchored("langsmith-key", B + "lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + E, 0, 3.0, "lsv2_"),
            anchored("pinecone-key", B + "pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63}" + E, 0, 3.5, "pcsk_"),
            anchored("nvidia-api-key", B + "nvapi-[A-Za-z0-9_-]{64}" + E, 0, 3.5, "nvapi-"),
            anchored("replicate-token", B + "r8_(?=[A-Za-z_-]*\\d)[A-Za-z0-9_-]{37}" + E, 0, 3.5, "r8_"),
            anchored("elevenlabs-key", B + "sk_[a-f0-9]{48}" + E, 0, 3.0, "sk_"),
            anchored("apify-token", B + "apify_api_[A-Za-z0-9-]{36}" + E, 0, 3.0, "apify_api_"),
            anchored("adafruit-io-key", B + "aio_(?=[A-Za-z]*\\d)[A-Za-z0-9]{28}" + E, 0, 3.0, "aio_"),
            anchored("zoho-token", B + "1000\\.[a-f0-9]{32}\\.[a-f0-9]{32}" + E, 0, 3.0, "1000."),
            anchored("voiceflow-key", B + "VF\\.(?:(?:DM|WS)\\.)?[a-fA-F0-9]{24}\\.[A-Za-z0-9]{16}" + E, 0, 3.0, "VF."),
            anchored("sourcegraph-cody-token", B + "slk_[a-f0-9]{64}" + E, 0, 3.0, "slk_"),
            anchored("rootly-token", B + "rootly_[a-f0-9]{64}" + E, 0, 3.0, "rootly_"),
            anchored("salad-cloud-key", B + "salad_cloud_[0-9A-Za-z]{1,7}_[0-9A-Za-z]{7,235}" + E, 0, 3.0, "salad_cloud_"),
            anchored("ubidots-token", B + "BBFF-[0-9a-zA-Z]{30}" + E, 0, 3.0, "BBFF-"),
            anchored("bannerbear-key", B + "bb_(?:pr|ma)_[a-f0-9]{30}" + E, 0, 3.0, "bb_pr_", "bb_ma_"),
            // Payments, commerce and SaaS
            anchored("stripe-webhook-secret", B + "whsec_[A-Za-z0-9+/]{32,64}={0,2}", 0, 3.0, "whsec_"),
            anchored("braintree-access-token", "access_token\\$(?:production|sandbox)\\$[0-9a-z]{16}\\$[0-9a-f]{32}" + E, 0, 3.0, "access_token$"),
            anchored("plaid-access-token", B + "access-(?:sandbox|development|production)-" + UUID + E, 0, 0, "access-sandbox-", "access-development-", "access-production-"),
            anchored("pagarme-key", B + "ak_live_[A-Za-z0-9]{30}" + E, 0, 3.0, "ak_live_"),
            anchored("ramp-key", B + "ramp_(?:id_[A-Za-z0-9]{40}|sec_[A-Za-z0-9]{48})" + E, 0, 3.0, "ramp_id_", "ramp_sec_"),
            anchored("fleetbase-key", B + "flb_live_[0-9a-zA-Z]{20}" + E, 0, 3.0, "flb_live_"),
            anchored("flexport-key", B + "shltm_[0-9a-zA-Z_-]{40}" + E, 0, 3.0, "shltm_"),
            anchored("asana-pat", "(?<![\\w/])[12]/\\d{16}(?:/\\d{16})?:[a-f0-9]{32}" + E, 0, 3.0, "1/", "2/"),
            anchored("clickup-token", B + "pk_\\d{5,12}_[A-Z0-9]{32}" + E, 0, 3.0, "pk_"),
            anchored("linear-oauth-token", B + "lin_oauth_[a-f0-9]{64}" + E, 0, 3.0, "lin_oauth_"),
            anchored("notion-legacy-token", B + "secret_(?=[A-Za-z]*\\d)[A-Za-z0-9]{43}" + E, 0, 4.0, "secret_"),
            anchored("contentful-pat", B + "CFPAT-[A-Za-z0-9_-]{43}" + E, 0, 3.0, "CFPAT-"),
            anchored("mapbox-public-token", B + "pk\\.eyJ1Ijoi[A-Za-z0-9_-]{20,300}\\.[A-Za-z0-9_-]{20,40}" + E, 0, 3.0, "pk.eyJ1Ijoi"),
            // Webhook URLs: the path is the credential
            anchored("zapier-webhook", "hooks\\.zapier\\.com/hooks/catch/\\d{3,12}/[A-Za-z0-9]{5,12}", 0, 0, "hooks.zapier.com"),
            anchored("tines-webhook", "https://[\\w-]{1,60}\\.tines\\.com/webhook/[a-z0-9]{32}/[a-z0-9]{32}", 0, 0, ".tines.com/webhook/"));

    private PublishedFormats() {}
}
