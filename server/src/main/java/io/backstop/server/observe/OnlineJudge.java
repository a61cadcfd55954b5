package io.backstop.server.observe;

import io.backstop.server.observe.judge.Judge;
import io.backstop.server.observe.judge.JudgePrompt;
import io.backstop.server.observe.judge.JudgingConfig;
import io.backstop.server.observe.judge.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores sampled answers after they were sent: queued on the bounded {@link io.backstop.server.observe.judge.JudgeQueue}
 * (dropped and counted when it is full), judged, then recorded as metrics, a {@code gen_ai.evaluation.result}
 * event in the access log and as an OpenTelemetry log event in the request's trace.
 */
final class OnlineJudge {
    private static final Logger LOG = LoggerFactory.getLogger(OnlineJudge.class);
    private final Observability owner;
    private final Judge judge;

    OnlineJudge(Observability owner, Judge judge) {
        this.owner = owner;
        this.judge = judge;
    }

    void submit(Observation o, RequestSummary s) {
        JudgingConfig.RouteJudge rj = owner.config.judging().routes().get(s.route());
        Context trace = o.context;
        if (owner.judges.offer(() -> run(rj, s, trace))) return;
        owner.stats.judgeDropped();
        if (owner.metrics != null) {
            Counter.builder("backstop.judge.dropped").description("Sampled answers not judged because the judge queue was full")
                    .tag("route", s.route()).register(owner.metrics.registry()).increment();
        }
    }

    private void run(JudgingConfig.RouteJudge rj, RequestSummary s, Context trace) {
        Verdict v;
        String error = null;
        try {
            v = judge.judge(rj.judge(), JudgePrompt.single(rj.rubric(), s.prompt(), s.answer()), rj.maxTokens());
        } catch (RuntimeException e) {
            LOG.warn("request {}: judge '{}' failed: {}", s.requestId(), rj.judge(), e.getMessage());
            v = null;
            error = "judge_failed";
        }
        record(rj, s, v, error, trace);
    }

    private void record(JudgingConfig.RouteJudge rj, RequestSummary s, Verdict v, String error, Context trace) {
        if (v != null) owner.stats.verdict(v.score(), v.pass());
        if (owner.metrics != null) {
            var r = owner.metrics.registry();
            Counter.builder("backstop.judge.verdicts").description("Judged answers by route and result (pass, fail, error)")
                    .tags("route", s.route(), "judge", rj.judge(), "result", v == null ? "error" : v.pass() ? "pass" : "fail").register(r).increment();
            if (v != null) {
                DistributionSummary.builder("backstop.judge.score").description("Judge scores (1-5) of sampled answers")
                        .tags("route", s.route(), "judge", rj.judge()).serviceLevelObjectives(1, 2, 3, 4, 5).register(r).record(v.score());
            }
        }
        String name = "judge:" + s.route();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("request_id", s.requestId());
        f.put("trace_id", s.traceId());
        f.put("route", s.route());
        f.put("judge", rj.judge());
        f.put("gen_ai.evaluation.name", name);
        if (v != null) {
            f.put("gen_ai.evaluation.score.value", (double) v.score());
            f.put("gen_ai.evaluation.score.label", v.pass() ? "pass" : "fail");
            if (owner.logContent()) f.put("gen_ai.evaluation.explanation", v.reason());
        }
        f.put("error.type", error);
        if (owner.accessLog() != null) owner.accessLog().event(GenAi.EVALUATION_EVENT, f);
        var attrs = Attributes.builder().put(GenAi.A_EVALUATION_NAME, name);
        if (v != null) attrs.put(GenAi.A_EVALUATION_SCORE, (double) v.score()).put(GenAi.A_EVALUATION_LABEL, v.pass() ? "pass" : "fail");
        if (error != null) attrs.put(GenAi.A_ERROR_TYPE, error);
        owner.tracing.events().logRecordBuilder().setEventName(GenAi.EVALUATION_EVENT).setContext(trace).setAllAttributes(attrs.build()).emit();
    }
}
