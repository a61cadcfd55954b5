package io.backstop.server.guard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.backstop.server.config.ConfigException;
import io.backstop.server.guard.GuardAction;
import io.backstop.server.guard.GuardProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuardrailsConfigParserTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static Map<String, GuardProfile> parse(String yaml) throws Exception {
        return GuardrailsConfigParser.parse(YAML.readTree(yaml));
    }

    @Test
    void aFullProfileIsReadWithEveryKey() throws Exception {
        GuardProfile p = parse("""
                profiles:
                  strict:
                    limits: {max_chars: 32000, max_messages: 50, max_tokens: 8000, per_role: {user: {max_chars: 8000, max_tokens: 2000}}}
                    injection: {action: flag, threshold: 0.8, roles: [user]}
                    pii: {action: block, types: [EMAIL, IBAN]}
                    secrets: {action: redact}
                    deny: {action: redact, terms: [falcon], topics: {weapons: [rifle]}, regex: ['x\\d+']}
                    restore: false
                    output: {pii: redact, pii_types: [EMAIL], secrets: block, deny: flag, max_chars: 20000}
                    rules: [{class: a.B, config: {k: 1}}]
                  relaxed: {}
                """).get("strict");
        assertThat(p.limits().perRole().get("user").maxTokens()).isEqualTo(2000);
        assertThat(p.injection().action()).isEqualTo(GuardAction.FLAG);
        assertThat(p.injection().threshold()).isEqualTo(0.8);
        assertThat(p.pii().types()).containsExactlyInAnyOrder("EMAIL", "IBAN");
        assertThat(p.secrets().action()).isEqualTo(GuardAction.REDACT);
        assertThat(p.deny().list().isEmpty()).isFalse();
        assertThat(p.restore()).isFalse();
        assertThat(p.output().maxChars()).isEqualTo(20000);
        assertThat(p.rules().getFirst().config()).containsEntry("k", 1);
    }

    @Test
    void anEmptyProfileGetsTheDefaults() throws Exception {
        GuardProfile p = parse("profiles: {relaxed: {}}").get("relaxed");
        GuardProfile d = GuardProfile.defaults("relaxed");
        assertThat(p.injection()).isEqualTo(d.injection());
        assertThat(p.pii()).isEqualTo(d.pii());
        assertThat(p.output()).isEqualTo(d.output());
        assertThat(parse("{}")).isEmpty();
    }

    @Test
    void badKeysAndValuesAreNamed() {
        assertThatThrownBy(() -> parse("profiles: {p: {pi: {}}}")).isInstanceOf(ConfigException.class).hasMessageContaining("'guardrails.profiles.p.pi'");
        assertThatThrownBy(() -> parse("profiles: {p: {pii: {action: erase}}}")).hasMessageContaining("guardrails.profiles.p.pii.action").hasMessageContaining("erase");
        assertThatThrownBy(() -> parse("profiles: {p: {pii: {types: [EMAIL, PASSPORT]}}}")).hasMessageContaining("PASSPORT");
        assertThatThrownBy(() -> parse("profiles: {p: {injection: {threshold: 1.5}}}")).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> parse("profiles: {p: {injection: {action: redact}}}")).hasMessageContaining("cannot be redacted");
        assertThatThrownBy(() -> parse("profiles: {p: {deny: {regex: ['(']}}}")).hasMessageContaining("guardrails.profiles.p.deny.regex[0]");
        assertThatThrownBy(() -> parse("profiles: {p: {limits: {max_chars: -1}}}")).hasMessageContaining("max_chars");
        assertThatThrownBy(() -> parse("profiles: {p: {rules: [{config: {}}]}}")).hasMessageContaining("rules[0].class is required");
        assertThatThrownBy(() -> parse("profile: {}")).hasMessageContaining("'guardrails.profile'");
    }
}
