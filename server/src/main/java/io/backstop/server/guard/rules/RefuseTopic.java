package io.backstop.server.guard.rules;

import io.backstop.server.guard.GuardMessage;
import io.backstop.server.guard.GuardRequest;
import io.backstop.server.guard.normalize.TextNormalizer;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Example business rule: refuse requests about a topic (config {@code topic}: its name for the message,
 * {@code keywords}: words or phrases that mark it), in any user message, after normalisation. Only user
 * messages count: a system prompt may well name the topic to forbid it.
 */
public final class RefuseTopic implements BusinessRule {
    private final String topic;
    private final Pattern keywords;

    public RefuseTopic(Map<String, Object> config) {
        if (!(config.get("topic") instanceof String t) || t.isBlank()) throw new IllegalArgumentException("topic must be a non-empty string");
        if (!(config.get("keywords") instanceof List<?> k) || k.isEmpty()) throw new IllegalArgumentException("keywords must be a non-empty list");
        for (String key : config.keySet()) if (!key.equals("topic") && !key.equals("keywords")) throw new IllegalArgumentException("unknown key '" + key + "' (known: topic, keywords)");
        this.topic = t;
        this.keywords = Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + k.stream().map(String::valueOf).map(String::strip)
                .map(Pattern::quote).collect(Collectors.joining("|")) + ")(?![\\p{L}\\p{N}])", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    @Override
    public String name() {
        return "refuse_topic";
    }

    @Override
    public RuleVerdict onRequest(GuardRequest request) {
        for (GuardMessage m : request.messages()) {
            if (m.role().equals("user") && keywords.matcher(TextNormalizer.normalize(m.text()).text()).find()) {
                return RuleVerdict.block("requests about " + topic + " are not answered here");
            }
        }
        return RuleVerdict.allow();
    }
}
