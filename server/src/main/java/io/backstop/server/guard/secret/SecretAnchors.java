package io.backstop.server.guard.secret;

import java.util.List;
import java.util.Map;

/**
 * Literal substrings at least one of which every match of a rule contains: a rule whose anchors are all
 * absent is skipped without running its regex (most prompts hold no token at all). A rule without an
 * entry here always runs.
 */
final class SecretAnchors {
    private static final Map<String, List<String>> ANCHORS = Map.ofEntries(
            Map.entry("private-key", List.of("-----BEGIN")),
            Map.entry("private-key-header", List.of("PRIVATE KEY", "PuTTY-User-Key-File")),
            Map.entry("aws-access-key-id", List.of("AKIA", "ASIA", "ABIA", "ACCA", "A3T")),
            Map.entry("aws-secret-access-key", List.of("aws")),
            Map.entry("github-token", List.of("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
            Map.entry("github-fine-grained-pat", List.of("github_pat_")),
            Map.entry("gitlab-token", List.of("glpat-", "gldt-", "glft-", "glffct-", "glsoat-", "glrt-")),
            Map.entry("gitlab-trigger-token", List.of("glptt-")),
            Map.entry("gitlab-agent-token", List.of("glagent-")),
            Map.entry("gitlab-cicd-token", List.of("glcbt-")),
            Map.entry("gitlab-mail-token", List.of("glimt-")),
            Map.entry("gitlab-oauth-secret", List.of("gloas-")),
            Map.entry("gitlab-runner-registration", List.of("GR1348941")),
            Map.entry("slack-token", List.of("xox")),
            Map.entry("slack-app-token", List.of("xapp-")),
            Map.entry("slack-webhook", List.of("hooks.slack.com")),
            Map.entry("stripe-key", List.of("_live_", "_test_", "_prod_")),
            Map.entry("openai-key", List.of("T3BlbkFJ")),
            Map.entry("anthropic-key", List.of("sk-ant-")),
            Map.entry("npm-token", List.of("npm_")),
            Map.entry("npm-auth-token", List.of(":_authToken=", ":_password=")),
            Map.entry("pypi-token", List.of("pypi-")),
            Map.entry("sendgrid-key", List.of("SG.")),
            Map.entry("mailchimp-key", List.of("-us")),
            Map.entry("telegram-bot-token", List.of(":")),
            Map.entry("twilio-key", List.of("AC", "SK")),
            Map.entry("square-token", List.of("sq0atp-", "sq0csp-", "EAAA")),
            Map.entry("azure-storage-key", List.of("AccountKey=")),
            Map.entry("azure-ad-client-secret", List.of("Q~")),
            Map.entry("artifactory-token", List.of("AKC", "AP")),
            Map.entry("ibm-cloud-iam-key", List.of("ibm", "cloud", "iam")),
            Map.entry("ibm-cos-hmac", List.of("secret")),
            Map.entry("softlayer-key", List.of("softlayer", "sl_", "sl-", "slkey", "slapi", "slpass", "slpwd")),
            Map.entry("softlayer-url", List.of("softlayer")),
            Map.entry("cloudant-url", List.of("cloudant")),
            Map.entry("cloudant-key", List.of("cloudant", "cl_", "cl-", "clou", "clkey", "clpw", "clpass", "clapi")),
            Map.entry("google-api-key", List.of("AIza")),
            Map.entry("gcp-service-account", List.of("service_account")),
            Map.entry("huggingface-token", List.of("hf_", "api_org_")),
            Map.entry("discord-token", List.of(".")),
            Map.entry("jwt", List.of("eyJ", "eyA", "ewo")),
            Map.entry("maxmind-key", List.of("_mmk")),
            Map.entry("settlemint-token", List.of("sm_")),
            Map.entry("authress-key", List.of(".acc")),
            Map.entry("defined-networking-key", List.of("dnkey-")),
            Map.entry("onepassword-secret-key", List.of("A3-")),
            Map.entry("onepassword-service-token", List.of("ops_eyJ")),
            Map.entry("terraform-token", List.of("atlasv1")),
            Map.entry("vault-token", List.of("hvs.", "hvb.", "s.")), // "s.": only texts with a long token run get here
            Map.entry("flyio-token", List.of("fo1_", "fm1", "fm2")),
            Map.entry("grafana-token", List.of("glc_", "glsa_")),
            Map.entry("intra42-secret", List.of("s-s4t2", "u-s4t2")),
            Map.entry("notion-token", List.of("ntn_")),
            Map.entry("openshift-token", List.of("sha256~")),
            Map.entry("sentry-token", List.of("sntrys_", "sntryu_")),
            Map.entry("databricks-token", List.of("dapi")),
            Map.entry("hubspot-token", List.of("pat-na1-", "pat-eu1-")),
            Map.entry("octopus-key", List.of("API-")),
            Map.entry("infracost-token", List.of("ico-")),
            Map.entry("scalingo-token", List.of("tk-us-")),
            Map.entry("heroku-v2-key", List.of("HRKU-")),
            Map.entry("facebook-token", List.of("EAA", "|", "%")),
            Map.entry("sourcegraph-token", List.of("sgp_", "sourcegraph", "Sourcegraph", "SOURCEGRAPH")),
            Map.entry("sidekiq-secret", List.of("contribsys")),
            Map.entry("age-secret-key", List.of("AGE-SECRET-KEY-1")),
            Map.entry("adobe-secret", List.of("p8e-")),
            Map.entry("alibaba-access-key", List.of("LTAI")),
            Map.entry("aws-bedrock-key", List.of("ABSK")),
            Map.entry("clojars-token", List.of("clojars_")),
            Map.entry("digitalocean-token", List.of("_v1_")),
            Map.entry("doppler-token", List.of("dp.")),
            Map.entry("duffel-token", List.of("duffel_")),
            Map.entry("dynatrace-token", List.of("dt0c01.")),
            Map.entry("easypost-key", List.of("EZAK", "EZTK")),
            Map.entry("flutterwave-key", List.of("FLW")),
            Map.entry("frameio-token", List.of("fio-u-")),
            Map.entry("grafana-api-key", List.of("eyJrIjoi")),
            Map.entry("harness-token", List.of("pat.", "sat.")),
            Map.entry("linear-key", List.of("lin_api_")),
            Map.entry("mailgun-key", List.of("key-")),
            Map.entry("mapbox-secret-token", List.of("sk.eyJ")),
            Map.entry("newrelic-key", List.of("NRAK-", "NRII-", "NRJS-")),
            Map.entry("planetscale-token", List.of("pscale_")),
            Map.entry("postman-key", List.of("PMAK-")),
            Map.entry("prefect-key", List.of("pnu_")),
            Map.entry("pulumi-token", List.of("pul-")),
            Map.entry("readme-key", List.of("rdme_")),
            Map.entry("rubygems-key", List.of("rubygems_")),
            Map.entry("clickhouse-secret-key", List.of("4b1d")),
            Map.entry("airtable-pat", List.of("pat")),
            Map.entry("artifactory-reference-token", List.of("cmVmd")),
            Map.entry("nuget-config-password", List.of("<add")),
            Map.entry("sendinblue-key", List.of("xkeysib-")),
            Map.entry("shippo-token", List.of("shippo_")),
            Map.entry("shopify-token", List.of("shpat_", "shpca_", "shppa_", "shpss_")),
            Map.entry("typeform-token", List.of("tfp_")),
            Map.entry("perplexity-key", List.of("pplx-")),
            Map.entry("groq-key", List.of("gsk_")),
            Map.entry("xai-key", List.of("xai-")),
            Map.entry("atlassian-token", List.of("ATATT3")),
            Map.entry("bitbucket-token", List.of("ATBB")),
            Map.entry("azure-devops-or-teams-webhook", List.of("webhook.office.com")),
            Map.entry("discord-webhook", List.of("/api/webhooks/")),
            Map.entry("kubernetes-secret", List.of("Secret", "secret")),
            Map.entry("kubernetes-secret-data-first", List.of("Secret", "secret")),
            Map.entry("twitch-or-generic-oauth", List.of("oauth:")),
            Map.entry("openrouter-or-generic-sk-key", List.of("sk-")),
            Map.entry("dropbox-token", List.of("sl.")),
            Map.entry("yandex-key", List.of("AQVN", "y0_", "y1_", "y2_", "y3_")),
            Map.entry("twitter-bearer-token", List.of("AAAAAAAAAAAAAAAAAAAAAA")),
            Map.entry("docker-hub-token", List.of("dckr_")),
            Map.entry("google-oauth-token", List.of("ya29.", "1//0")),
            Map.entry("tencent-secret-id", List.of("AKID")),
            Map.entry("launchdarkly-key", List.of("api-", "sdk-", "mob-")),
            Map.entry("okta-token", List.of("okta")),
            Map.entry("jdbc-password", List.of("jdbc:")),
            Map.entry("authorization-header", List.of("authorization")),
            Map.entry("api-key-header", List.of("api-key", "apikey", "api-token", "apitoken", "auth-token")));

    /**
     * The shortest run of token chars ({@code [A-Za-z0-9_-]}) in any match, for rules whose anchors are
     * common in prose: a Discord token's first part, a Vault token after "s.", a Telegram token after ":".
     */
    private static final Map<String, Integer> MIN_RUN = Map.of(
            "discord-token", 24, "vault-token", 24, "telegram-bot-token", 35, "mailchimp-key", 35, "twilio-key", 34,
            "airtable-pat", 17, "clickhouse-secret-key", 42, "twitch-or-generic-oauth", 30, "openrouter-or-generic-sk-key", 23);

    private SecretAnchors() {}

    static int minRun(String rule) {
        return MIN_RUN.getOrDefault(rule, 0);
    }

    static List<String> of(String rule) {
        return ANCHORS.getOrDefault(rule, List.of());
    }
}
