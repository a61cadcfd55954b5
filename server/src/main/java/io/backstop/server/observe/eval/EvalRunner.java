package io.backstop.server.observe.eval;

import io.backstop.server.observe.judge.JudgePrompt;
import io.backstop.server.observe.judge.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/** Runs each case against a route, one after another (latencies are not skewed by each other), and checks its answer. */
public final class EvalRunner {
    private final EvalClient client;
    private final String route;
    private final String judge;

    /** One check's result; {@code detail} says why it failed (or what the judge said). */
    public record CheckResult(String check, boolean pass, String detail) {}

    /** A case's answer (null when the route failed: then {@code error} says why) and its checks. */
    public record CaseResult(String id, boolean pass, EvalClient.Answer answer, String error, List<CheckResult> checks) {}

    /** @param judge the judge route, or null (then no case may need one) */
    public EvalRunner(EvalClient client, String route, String judge) {
        this.client = client;
        this.route = route;
        this.judge = judge;
    }

    public List<CaseResult> run(List<EvalCase> cases) {
        List<CaseResult> out = new ArrayList<>();
        for (EvalCase c : cases) out.add(run(c));
        return out;
    }

    CaseResult run(EvalCase c) {
        EvalClient.Answer a;
        try {
            a = client.answer(route, c);
        } catch (EvalClient.Failure f) {
            return new CaseResult(c.id(), false, null, f.getMessage(), List.of());
        }
        List<CheckResult> results = new ArrayList<>();
        for (Check check : c.checks()) {
            CheckResult r;
            try {
                r = check(check, c, a);
            } catch (EvalClient.Failure f) {
                r = new CheckResult(check.describe(), false, f.getMessage());
            }
            results.add(r);
        }
        return new CaseResult(c.id(), results.stream().allMatch(CheckResult::pass), a, null, results);
    }

    private CheckResult check(Check check, EvalCase c, EvalClient.Answer a) {
        String d = check.describe();
        String text = a.text();
        return switch (check) {
            case Check.Contains x -> result(d, text.contains(x.value()), "not in the answer");
            case Check.NotContains x -> result(d, !text.contains(x.value()), "found in the answer");
            case Check.Equals x -> result(d, text.strip().equals(x.value().strip()), "the answer differs");
            case Check.Regex x -> {
                Matcher m = x.pattern().matcher(text);
                yield result(d, m.find(), "no match");
            }
            case Check.JsonSchema x -> {
                var violations = x.validator().validate(text);
                yield result(d, violations.isEmpty(), violations.isEmpty() ? "" : violations.get(0).path() + ": " + violations.get(0).message());
            }
            case Check.MaxLatency x -> result(d, a.latencyMs() <= x.ms(), String.format(java.util.Locale.ROOT, "took %.0f ms", a.latencyMs()));
            case Check.MaxCost x -> a.costUsd() == null ? new CheckResult(d, false, "the server reported no cost (X-Backstop-Cost-USD)")
                    : result(d, a.costUsd() <= x.usd(), "cost " + a.costUsd() + " USD");
            case Check.Judge x -> {
                Verdict v = client.judge(judge, JudgePrompt.single(x.rubric(), c.question(), text));
                yield new CheckResult(d, v.score() >= x.threshold(), "score " + v.score() + ": " + v.reason());
            }
            case Check.Pairwise x -> pairwise(d, x, c, text);
        };
    }

    /** A vs B and B vs A: A's preference is the mean of its score in first place and the mirrored score in second (3 = a tie). */
    private CheckResult pairwise(String d, Check.Pairwise x, EvalCase c, String a) {
        String b = client.answer(x.against(), c).text();
        Verdict first = client.judge(judge, JudgePrompt.pairwise(x.rubric(), c.question(), a, b));
        Verdict second = client.judge(judge, JudgePrompt.pairwise(x.rubric(), c.question(), b, a));
        double preference = (first.score() + (6 - second.score())) / 2.0;
        return new CheckResult(d, preference >= 3, String.format(java.util.Locale.ROOT, "preference %.1f of 5 (A/B %d, B/A %d)",
                preference, first.score(), second.score()));
    }

    private static CheckResult result(String d, boolean pass, String why) {
        return new CheckResult(d, pass, pass ? "" : why);
    }
}
