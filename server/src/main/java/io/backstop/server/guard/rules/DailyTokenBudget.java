package io.backstop.server.guard.rules;

import io.backstop.server.guard.GuardRequest;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Example business rule: each user (the request's {@code user} field; requests without one share
 * "anonymous") may use {@code tokens_per_day} prompt + completion tokens per UTC day; once spent,
 * requests are blocked until the next day. Counts live in memory (one server); the clock is injectable.
 */
public final class DailyTokenBudget implements BusinessRule {
    private final long perDay;
    private final Clock clock;
    private final Map<String, Usage> used = new ConcurrentHashMap<>();

    private record Usage(LocalDate day, long tokens) {}

    public DailyTokenBudget(Map<String, Object> config) {
        this(config, Clock.systemUTC());
    }

    public DailyTokenBudget(Map<String, Object> config, Clock clock) {
        Object v = config.get("tokens_per_day");
        if (!(v instanceof Number n) || n.longValue() < 1) throw new IllegalArgumentException("tokens_per_day must be a positive whole number");
        for (String k : config.keySet()) if (!k.equals("tokens_per_day")) throw new IllegalArgumentException("unknown key '" + k + "' (known: tokens_per_day)");
        this.perDay = n.longValue();
        this.clock = clock;
    }

    @Override
    public String name() {
        return "daily_token_budget";
    }

    @Override
    public RuleVerdict onRequest(GuardRequest request) {
        return spent(user(request)) >= perDay ? RuleVerdict.block("the daily token budget of this user is spent") : RuleVerdict.allow();
    }

    @Override
    public RuleVerdict onAnswer(GuardRequest request, String answer, int promptTokens, int completionTokens) {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        used.merge(user(request), new Usage(today, (long) promptTokens + completionTokens),
                (old, add) -> old.day().equals(today) ? new Usage(today, old.tokens() + add.tokens()) : add);
        return RuleVerdict.allow();
    }

    /** Tokens {@code user} has used today. */
    public long spent(String user) {
        Usage u = used.get(user);
        return u == null || !u.day().equals(LocalDate.now(clock.withZone(ZoneOffset.UTC))) ? 0 : u.tokens();
    }

    private static String user(GuardRequest r) {
        return r.user() == null || r.user().isBlank() ? "anonymous" : r.user();
    }
}
