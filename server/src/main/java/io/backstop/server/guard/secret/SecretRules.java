package io.backstop.server.guard.secret;

import java.util.List;

/**
 * The secret patterns, after the families of gitleaks and detect-secrets: vendor tokens recognised by
 * prefix and shape (no entropy floor needed), then context rules (Authorization headers, curl
 * credentials, URLs with a password, {@code name = value} assignments) whose value must look random.
 * Written for this project from the public token formats; a rule's name says what it found.
 */
final class SecretRules {
    private static final String B = "(?<![\\w-])";   // token start
    private static final String E = "(?![\\w-])";    // token end
    private static final String ASSIGN = "[\"']?[ \\t]*(?:=|:=|:::=|\\?=|:|=>)[ \\t]*[\"'`]?";

    static final List<SecretRule> VENDOR = List.of(
            SecretRule.of("private-key", "-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:\\s*\\S[\\s\\S]{7,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[\\s\\\\n]*[A-Za-z0-9+/=\\s]{64,})", 0, 0),
            // A header alone is flagged too (as detect-secrets does): it only ever stands at the top of a pasted key.
            SecretRule.of("private-key-header", "-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|PGP|SSH2 ENCRYPTED|ENCRYPTED) )?PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-[23]:", 0, 0),
            SecretRule.of("aws-access-key-id", "(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}(?![A-Z0-9])", 0, 2.5),
            SecretRule.of("aws-secret-access-key", "(?i)aws[\\w.-]{0,20}(?:secret|access|key|pwd|pw|password|pass|token)[\\w.-]{0,20}" + ASSIGN + "([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])", 1, 3.0),
            SecretRule.of("github-token", B + "(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}" + E, 0, 0),
            SecretRule.of("github-fine-grained-pat", B + "github_pat_[A-Za-z0-9_]{82}" + E, 0, 0),
            // Routable tokens (GitLab 17+) carry a dot and a 9-char suffix after a longer body.
            SecretRule.of("gitlab-token", B + "(?:(?:glpat|gldt|glft|glffct|glsoat|glrt)-[A-Za-z0-9_-]{20,50}(?<!_)|gl(?:pat|rt)-(?:t\\d_)?[\\w-]{27,300}\\.[0-9a-z]{9})" + E, 0, 0),
            SecretRule.of("gitlab-trigger-token", B + "glptt-[A-Za-z0-9_-]{40}" + E, 0, 0),
            SecretRule.of("gitlab-agent-token", B + "glagent-[A-Za-z0-9_-]{50,1024}" + E, 0, 0),
            SecretRule.of("gitlab-cicd-token", B + "glcbt-(?:[0-9a-zA-Z]{1,5}_)?[A-Za-z0-9_-]{20}" + E, 0, 0),
            SecretRule.of("gitlab-mail-token", B + "glimt-[A-Za-z0-9_-]{25}" + E, 0, 0),
            SecretRule.of("gitlab-oauth-secret", B + "gloas-[A-Za-z0-9_-]{64}" + E, 0, 0),
            SecretRule.of("gitlab-runner-registration", B + "GR1348941[A-Za-z0-9_-]{20,}" + E, 0, 0),
            SecretRule.of("slack-token", B + "(?:(?:xoxe\\.)?xox[abposre]-(?=[A-Za-z0-9-]*\\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{10,}|xox[bpar]-\\d{8,14}-\\d{8,14})" + E, 0, 0),
            SecretRule.of("slack-app-token", B + "xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+" + E, 0, 0),
            SecretRule.of("slack-webhook", "hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}", 0, 0),
            SecretRule.of("stripe-key", B + "(?:sk|rk)_(?:live|test|prod)_[0-9a-zA-Z]{10,247}" + E, 0, 0),
            SecretRule.of("openai-key", B + "sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}" + E, 0, 0),
            SecretRule.of("anthropic-key", B + "sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{80,100}AA" + E, 0, 0),
            SecretRule.of("npm-token", B + "npm_[A-Za-z0-9]{36}" + E, 0, 0),
            SecretRule.of("npm-auth-token", "//[^\\s]+/:_(?:authToken|password)=([^\\s\"']+)", 1, 0),
            SecretRule.of("pypi-token", B + "pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{70,1000}", 0, 0),
            SecretRule.of("sendgrid-key", B + "SG\\.(?:[\\w-]{22}\\.[\\w-]{43}|[A-Za-z0-9=_.-]{66})" + E, 0, 0),
            SecretRule.of("mailchimp-key", B + "[0-9a-z]{32}-us\\d{1,2}" + E, 0, 3.0),
            SecretRule.of("telegram-bot-token", "(?<![\\w:])\\d{5,16}:(?=[\\w-]*[A-Za-z])[\\w-]{35}" + E, 0, 3.0),
            SecretRule.of("twilio-key", "(?<!\\w)(?:(?:AC|SK)(?=[A-Za-z]*\\d)(?:[0-9a-z]{32}|[0-9A-F]{32})|SK(?=[A-Za-z]*\\d)[0-9a-fA-F]{32})(?!\\w)", 0, 3.0),
            SecretRule.of("square-token", B + "(?:sq0atp-[\\w-]{22,60}|EAAA[\\w-]{22,60})" + E + "|" + B + "sq0csp-[\\w\\\\-]{43}", 0, 0),
            SecretRule.of("azure-storage-key", "AccountKey=([A-Za-z0-9+/]{86,88}={0,2})", 1, 0),
            SecretRule.of("azure-ad-client-secret", "(?<![\\w~.-])[A-Za-z0-9_~.-]{3}\\dQ~[A-Za-z0-9_~.-]{31,34}(?![\\w~.-])", 0, 3.0),
            SecretRule.of("artifactory-token", "(?<![\\w])(?:AKC[a-zA-Z0-9]{10,}|AP[\\dABCDEF][a-zA-Z0-9]{8,})(?![\\w])", 0, 3.0),
            SecretRule.of("ibm-cloud-iam-key", "(?i)(?:ibm|cloud|iam)[\\w-]{0,20}(?:key|pwd|password|pass|token)\\w*" + ASSIGN + "([A-Za-z0-9_-]{44})(?![\\w-])", 1, 0),
            SecretRule.of("ibm-cos-hmac", "(?i)(?:secret[_-]?access[_-]?key|cos[\\w-]{0,10}secret[_-]?key)" + ASSIGN + "([a-f0-9]{48})(?![\\w])", 1, 0),
            SecretRule.of("softlayer-key", "(?i)(?:softlayer|\\bsl)[_-]?(?:api)?[_-]?(?:key|pwd|password|pass)[\"']?[ \\t]*(?:=|:=|:)?[ \\t]*[\"']?([a-z0-9]{64})(?![a-z0-9])", 1, 0),
            SecretRule.of("softlayer-url", "(?i)api\\.softlayer\\.com/(?:soap|rest)/v3(?:\\.1)?/([a-z0-9]{64})", 1, 0),
            SecretRule.of("cloudant-url", "(?i)https?://[\\w-]+:([\\w-]{64}|[a-z]{24})@[\\w-]+\\.cloudant\\.com", 1, 0),
            SecretRule.of("cloudant-key", "(?i)(?:cloudant|\\bcl|\\bclou)[_-]?(?:api)?[_-]?(?:key|pwd|password|pw|pass)" + ASSIGN + "([A-Za-z0-9]{64}|[a-z]{24})(?![\\w-])", 1, 0),
            SecretRule.of("google-api-key", B + "AIza[0-9A-Za-z_-]{35}" + E, 0, 3.0),
            SecretRule.of("gcp-service-account", "\"type\"\\s*:\\s*\"service_account\"", 0, 0),
            SecretRule.of("huggingface-token", "(?<![\\w])(?:hf_|api_org_)[a-zA-Z]{34}(?![\\w])", 0, 0),
            SecretRule.of("discord-token", B + "[MNO][A-Za-z\\d_-]{23,25}\\.[A-Za-z\\d_-]{6}\\.[A-Za-z\\d_-]{27,38}" + E, 0, 0),
            SecretRule.of("jwt", B + "(?:eyJ|eyA|ewo)[A-Za-z0-9_-]{8,}\\.ey[A-Za-z0-9_-]{8,}(?:\\.[A-Za-z0-9_-]*)?", 0, 0),
            SecretRule.of("onepassword-secret-key", B + "A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}" + E, 0, 0),
            SecretRule.of("onepassword-service-token", B + "ops_eyJ[A-Za-z0-9+/=_-]{250,}", 0, 0),
            SecretRule.of("terraform-token", "(?i)[a-z0-9]{14}\\.atlasv1\\.[a-z0-9_=-]{60,70}", 0, 0),
            SecretRule.of("vault-token", B + "(?:hvs\\.[\\w-]{90,}|hvb\\.[\\w-]{138,300}|s\\.(?=[A-Za-z0-9]*\\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{24})" + E, 0, 3.5),
            SecretRule.of("flyio-token", B + "(?:fo1_[\\w-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})", 0, 0),
            SecretRule.of("grafana-token", B + "(?:glc_[A-Za-z0-9+/]{32,400}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})", 0, 3.0),
            SecretRule.of("intra42-secret", B + "[su]-s4t2(?:ud|af)-[a-f0-9]{64}" + E, 0, 0),
            SecretRule.of("notion-token", B + "ntn_\\d{11}(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{35}" + E, 0, 0),
            SecretRule.of("openshift-token", B + "sha256~[\\w-]{43}" + E, 0, 3.0),
            SecretRule.of("sentry-token", B + "(?:sntrys_eyJ[A-Za-z0-9+/=_-]{80,}|sntryu_[a-f0-9]{64})", 0, 0),
            SecretRule.of("databricks-token", B + "dapi[a-f0-9]{32}(?:-\\d)?" + E, 0, 0),
            SecretRule.of("hubspot-token", B + "pat-(?:na|eu)1-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}" + E, 0, 0),
            SecretRule.of("octopus-key", B + "API-[A-Z0-9]{26}" + E, 0, 0),
            SecretRule.of("infracost-token", "(?<![\\w.-])ico-[a-zA-Z0-9]{32}" + E, 0, 3.0),
            SecretRule.of("scalingo-token", B + "tk-us-[\\w-]{48}" + E, 0, 0),
            SecretRule.of("heroku-v2-key", B + "HRKU-AA[0-9a-zA-Z_-]{58}" + E, 0, 0),
            SecretRule.of("facebook-token", B + "(?:EAA[MC][a-zA-Z0-9]{100,}|\\d{15,16}(?:\\||%7C|%)[0-9a-zA-Z_-]{27,40})" + E, 0, 0),
            SecretRule.of("sourcegraph-token", B + "sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}" + E + "|(?i)sourcegraph[\\w-]*" + ASSIGN + "[a-f0-9]{40}" + E, 0, 0),
            SecretRule.of("sidekiq-secret", "(?i)BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM[\\w.-]{0,20}[\\s\"']{0,3}(?:=|>|:{1,3}=|\\|\\||:|=>|\\?=|,)[\\s\"'`=]{0,5}([a-f0-9]{8}:[a-f0-9]{8})", 1, 0));

    /** More vendor token formats with distinctive prefixes (public formats, as listed by the scanners' rule sets). */
    static final List<SecretRule> MORE_VENDORS = List.of(
            SecretRule.of("clickhouse-secret-key", B + "4b1d[A-Za-z0-9]{38}" + E, 0, 3.0),
            SecretRule.of("airtable-pat", B + "pat[A-Za-z0-9]{14}\\.[a-f0-9]{64}" + E, 0, 0),
            SecretRule.of("artifactory-reference-token", B + "cmVmd[A-Za-z0-9]{59}" + E, 0, 3.0),
            SecretRule.of("nuget-config-password", "(?i)<add\\s+key=\"(?:ClearText)?Password\"\\s*value=\"([^\"]{8,})\"", 1, 0),
            SecretRule.of("age-secret-key", "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", 0, 0),
            SecretRule.of("adobe-secret", B + "p8e-[A-Za-z0-9]{32}" + E, 0, 3.0),
            SecretRule.of("alibaba-access-key", "(?<![\\w])LTAI[A-Za-z0-9]{20}(?![\\w])", 0, 3.0),
            SecretRule.of("aws-bedrock-key", B + "ABSK[A-Za-z0-9+/]{109,269}={0,2}", 0, 3.5),
            SecretRule.of("clojars-token", "(?i)" + B + "CLOJARS_[a-z0-9]{60}" + E, 0, 0),
            SecretRule.of("digitalocean-token", B + "do[opr]_v1_[a-f0-9]{64}" + E, 0, 0),
            SecretRule.of("doppler-token", B + "dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9]{40,44}" + E, 0, 0),
            SecretRule.of("duffel-token", B + "duffel_(?:test|live)_[A-Za-z0-9_=-]{43}" + E, 0, 0),
            SecretRule.of("dynatrace-token", B + "dt0c01\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{64}" + E, 0, 0),
            SecretRule.of("easypost-key", B + "(?:EZAK|EZTK)[A-Za-z0-9]{54}" + E, 0, 0),
            SecretRule.of("flutterwave-key", B + "(?:FLW(?:SECK|PUBK)(?:_TEST)?-[a-zA-Z0-9]{32}-X|FLWSECK_TEST-?[a-hA-H0-9]{12})" + E, 0, 0),
            SecretRule.of("frameio-token", B + "fio-u-[A-Za-z0-9_=-]{64}" + E, 0, 0),
            SecretRule.of("grafana-api-key", B + "eyJrIjoi[A-Za-z0-9]{70,400}={0,3}", 0, 0),
            SecretRule.of("harness-token", B + "[ps]at\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{20}" + E, 0, 0),
            SecretRule.of("linear-key", B + "lin_api_[A-Za-z0-9]{40}" + E, 0, 0),
            SecretRule.of("mailgun-key", B + "key-[a-f0-9]{32}" + E, 0, 0),
            SecretRule.of("mapbox-secret-token", B + "sk\\.eyJ[A-Za-z0-9_-]{50,}\\.[A-Za-z0-9_-]{20,}" + E, 0, 0),
            SecretRule.of("newrelic-key", B + "(?:NRAK-[A-Za-z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|NRJS-[a-f0-9]{19})" + E, 0, 0),
            SecretRule.of("planetscale-token", B + "pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,64}" + E, 0, 0),
            SecretRule.of("postman-key", B + "PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + E, 0, 0),
            SecretRule.of("prefect-key", B + "pnu_[A-Za-z0-9]{36}" + E, 0, 0),
            SecretRule.of("pulumi-token", B + "pul-[a-f0-9]{40}" + E, 0, 0),
            SecretRule.of("readme-key", B + "rdme_[a-z0-9]{70}" + E, 0, 0),
            SecretRule.of("rubygems-key", B + "rubygems_[a-f0-9]{48}" + E, 0, 0),
            SecretRule.of("sendinblue-key", B + "xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}" + E, 0, 0),
            SecretRule.of("shippo-token", B + "shippo_(?:live|test)_[a-fA-F0-9]{40}" + E, 0, 0),
            SecretRule.of("shopify-token", B + "shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + E, 0, 0),
            SecretRule.of("typeform-token", B + "tfp_[A-Za-z0-9_.=-]{59}" + E, 0, 0),
            SecretRule.of("perplexity-key", B + "pplx-[A-Za-z0-9]{48}" + E, 0, 3.0),
            SecretRule.of("groq-key", B + "gsk_[A-Za-z0-9]{52}" + E, 0, 3.0),
            SecretRule.of("xai-key", B + "xai-[A-Za-z0-9]{80}" + E, 0, 3.0),
            SecretRule.of("atlassian-token", B + "ATATT3[A-Za-z0-9_=-]{186}" + E, 0, 0),
            SecretRule.of("bitbucket-token", B + "ATBB[A-Za-z0-9]{32}" + E, 0, 3.0),
            SecretRule.of("azure-devops-or-teams-webhook", "https://[a-z0-9]+\\.webhook\\.office\\.com/webhookb2/[a-z0-9-]+@[a-z0-9-]+/IncomingWebhook/[a-z0-9]+/[a-z0-9-]+", 0, 0),
            SecretRule.of("discord-webhook", "https://(?:ptb\\.|canary\\.)?discord(?:app)?\\.com/api/webhooks/\\d+/[A-Za-z0-9_-]{60,}", 0, 0),
            SecretRule.of("kubernetes-secret", "(?s)kind:[ \\t]*[\"']?[Ss]ecret\\b.{0,400}?\\bdata:[ \\t]*\\r?\\n\\s+[\\w.-]+:[ \\t]*[\"']?([A-Za-z0-9+/]{12,}={0,2})", 1, 3.0),
            SecretRule.of("kubernetes-secret-data-first", "\\bdata:[ \\t]*\\r?\\n\\s+[\\w.-]+:[ \\t]*[\"']?([A-Za-z0-9+/]{12,}={0,2})[\"']?\\s(?s:.{0,400}?)\\bkind:[ \\t]*[\"']?[Ss]ecret\\b", 1, 3.0),
            SecretRule.of("twitch-or-generic-oauth", "(?i)oauth:[a-z0-9]{30}" + E, 0, 3.0),
            SecretRule.of("openrouter-or-generic-sk-key", B + "sk-(?:or-v1-[a-f0-9]{64}|[A-Za-z0-9]{32,64})" + E, 0, 3.5),
            SecretRule.of("dropbox-token", B + "sl\\.(?:u\\.)?[A-Za-z0-9_=-]{130,1500}" + E, 0, 3.5),
            SecretRule.of("yandex-key", B + "(?:AQVN[A-Za-z0-9_-]{35,38}|y[0-3]_[A-Za-z0-9_-]{55})" + E, 0, 3.0),
            SecretRule.of("twitter-bearer-token", "(?<![A-Za-z0-9%])A{22}[A-Za-z0-9%]{80,120}(?![A-Za-z0-9%])", 0, 3.0),
            SecretRule.of("docker-hub-token", B + "dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40}" + E, 0, 0),
            SecretRule.of("google-oauth-token", B + "(?:ya29\\.[0-9A-Za-z_-]{30,}|1//0[0-9A-Za-z_-]{40,})" + E, 0, 3.0),
            SecretRule.of("tencent-secret-id", "(?<![\\w])AKID[A-Za-z0-9]{13,40}(?![\\w])", 0, 3.0),
            SecretRule.of("maxmind-key", B + "[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk" + E, 0, 3.0),
            SecretRule.of("settlemint-token", B + "sm_(?:pat|aat|sat)_[A-Za-z0-9]{16}" + E, 0, 3.0),
            SecretRule.of("authress-key", B + "(?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\\.[A-Za-z0-9]{4,6}\\.acc[_-][a-z0-9-]{10,32}\\.[A-Za-z0-9+/_=-]{30,120}", 0, 0),
            SecretRule.of("defined-networking-key", B + "dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52}" + E, 0, 0),
            SecretRule.of("launchdarkly-key", B + "(?:api|sdk|mob)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}" + E, 0, 0),
            SecretRule.of("okta-token", "(?i)(?-i:[Oo]kta|OKTA)[\\w.-]{0,20}" + ASSIGN + "(00[A-Za-z0-9_-]{40})(?![\\w-])", 1, 3.0),
            SecretRule.of("jdbc-password", "(?i)jdbc:[a-z:]+//[^\\s]*[?&;]password=([^&;\\s\"']{6,})", 1, 2.5));

    /** Header and command-line credentials. */
    static final List<SecretRule> CONTEXT = List.of(
            SecretRule.of("authorization-header", "(?i)authorization[\"']?\\s*:\\s*(?:(?:bearer|basic|token|api-token|digest|apikey)\\s+)?([A-Za-z0-9._~+/=@-]{6,})", 1, 2.5),
            SecretRule.of("api-key-header", "(?i)(?<![\\w-])(?:x-[\\w-]*api-?key|api-?token|apikey|x-auth-token|x-api-token)\\s*:\\s*([\\w.~+/=-]{8,})", 1, 2.5));
}
