package io.backstop.bench.guard;

import io.backstop.server.guard.GuardMessage;
import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.GuardRequest;
import io.backstop.server.guard.Guardrails;
import io.backstop.server.guard.InputGuard;
import io.backstop.server.guard.config.GuardrailsConfigParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * What the guard benchmark runs: a profile with every input check on (limits, injection, PII redaction,
 * secrets, a deny list) and output redaction of PII and secrets, a 4 KB chat prompt of ordinary prose with
 * one e-mail address and one phone number in it, and an answer cut into token-sized deltas.
 */
public final class GuardWorkload {
    static final String PROFILE = """
            profiles:
              bench:
                limits: {max_chars: 100000, max_messages: 64, max_tokens: 32000}
                injection: {action: block}
                pii: {action: redact}
                secrets: {action: block}
                deny: {action: block, terms: [project falcon, internal codename], topics: {weapons: [rifle, grenade, explosive]}}
                output: {pii: redact, secrets: redact, deny: block}
            """;

    private static final String[] SENTENCES = {
            "Our team is planning the quarterly review and would like a short summary of the main results.",
            "The new onboarding flow reduced the time to first value from three days to about six hours.",
            "Customers in the northern region asked for better documentation of the export feature.",
            "Please keep the tone friendly and concise, and use bullet points where it helps the reader.",
            "We also saw a small increase in support tickets after the release, mostly about login issues.",
            "Support volume stayed flat in the south, where the help centre articles were updated in March.",
            "The appendix lists the metrics we track every week, including retention, activation and churn.",
            "Finally, suggest two experiments we could run next quarter to improve activation further."};

    private GuardWorkload() {}

    public static Guardrails guardrails() {
        try {
            GuardProfile p = GuardrailsConfigParser.parse(new ObjectMapper(new YAMLFactory()).readTree(PROFILE)).get("bench");
            return Guardrails.load(p, List.of(), GuardWorkload.class.getClassLoader(), InputGuard::estimateTokens);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Prose of exactly {@code chars} characters, with one e-mail address and one phone number near the start. */
    public static String prose(int chars) {
        StringBuilder b = new StringBuilder(chars + 128);
        b.append("If anything is unclear, you can reach the product owner at dana.miller@example.com or +1 415 555 0199. ");
        for (int i = 0; b.length() < chars; i++) b.append(SENTENCES[i % SENTENCES.length]).append(i % 4 == 3 ? "\n\n" : " ");
        return b.substring(0, chars);
    }

    /** A chat request whose user message is a 4 KB prompt, with a short system message. */
    public static GuardRequest request4k() {
        return new GuardRequest("bench", GuardRequest.Kind.CHAT, "bench", "user-1",
                List.of(new GuardMessage("system", "You are a helpful assistant for a product team."), new GuardMessage("user", prose(4096))));
    }

    /** An answer cut into deltas of 1 to 6 chars (about one token each), as a model streams it. */
    public static List<String> deltas(int chars) {
        String answer = prose(chars);
        List<String> out = new ArrayList<>();
        int[] sizes = {4, 1, 5, 3, 6, 2, 4, 4};
        for (int i = 0, k = 0; i < answer.length(); k++) {
            int n = Math.min(sizes[k % sizes.length], answer.length() - i);
            out.add(answer.substring(i, i + n));
            i += n;
        }
        return out;
    }
}
