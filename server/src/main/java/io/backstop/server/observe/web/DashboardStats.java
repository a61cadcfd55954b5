package io.backstop.server.observe.web;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.observe.RequestSummary;
import io.backstop.server.observe.metrics.Window;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.ProviderStatus;
import io.backstop.server.route.RouteTable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Totals and recent percentiles for the dashboard ({@code GET /stats}): cumulative counters the page
 * turns into rates, percentiles over the last requests, breaker states, queues and judge scores.
 */
public final class DashboardStats {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private final LongAdder requests = new LongAdder();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder blocked = new LongAdder();
    private final LongAdder guardDecisions = new LongAdder();
    private final LongAdder tokensIn = new LongAdder();
    private final LongAdder tokensOut = new LongAdder();
    private final DoubleAdder cost = new DoubleAdder();
    private final DoubleAdder generationSeconds = new DoubleAdder();
    private final Window ttft = new Window(1024);
    private final Window tpot = new Window(1024);
    private final Window duration = new Window(1024);
    private final Window scores = new Window(256);
    private final LongAdder judged = new LongAdder();
    private final LongAdder judgedPass = new LongAdder();
    private final LongAdder judgeDropped = new LongAdder();
    private final long started = System.currentTimeMillis();

    public void request(RequestSummary s) {
        if (s.route() == null) return;
        requests.increment();
        outcomes.computeIfAbsent(s.outcome(), k -> new LongAdder()).increment();
        fallbacks.add(Math.max(0, s.chain().size() - 1));
        if (RequestSummary.BLOCKED.equals(s.outcome())) blocked.increment();
        guardDecisions.add(s.guard().size());
        if (s.tokensIn() != null) tokensIn.add(s.tokensIn());
        if (s.tokensOut() != null) tokensOut.add(s.tokensOut());
        if (s.cost() != null) cost.add(s.cost());
        duration.add(s.durationNanos() / 1e6);
        if (s.ttftNanos() != null) ttft.add(s.ttftNanos() / 1e6);
        if (s.tpotNanos() != null) tpot.add(s.tpotNanos() / 1e6);
    }

    /** Output tokens over the time spent producing them (for tokens/s between two polls). */
    public void generationTime(long nanos) {
        generationSeconds.add(nanos / 1e9);
    }

    public void verdict(int score, boolean pass) {
        judged.increment();
        if (pass) judgedPass.increment();
        scores.add(score);
    }

    public void judgeDropped() {
        judgeDropped.increment();
    }

    public ObjectNode snapshot(RouteTable routes, ModelRegistry models, int judgeQueue) {
        ObjectNode n = JSON.objectNode();
        n.put("now_ms", System.currentTimeMillis());
        n.put("started_ms", started);
        n.put("requests", requests.sum());
        ObjectNode o = n.putObject("outcomes");
        outcomes.forEach((k, v) -> o.put(k, v.sum()));
        n.put("fallbacks", fallbacks.sum());
        n.put("guardrail_blocks", blocked.sum());
        n.put("guardrail_decisions", guardDecisions.sum());
        n.put("tokens_in", tokensIn.sum());
        n.put("tokens_out", tokensOut.sum());
        n.put("generation_seconds", generationSeconds.sum());
        n.put("cost_usd", cost.sum());
        percentiles(n.putObject("ttft_ms"), ttft);
        percentiles(n.putObject("tpot_ms"), tpot);
        percentiles(n.putObject("duration_ms"), duration);
        ObjectNode j = n.putObject("judge");
        j.put("judged", judged.sum());
        j.put("passed", judgedPass.sum());
        j.put("dropped", judgeDropped.sum());
        j.put("queue", judgeQueue);
        double mean = scores.mean();
        if (!Double.isNaN(mean)) j.put("mean_score", mean);
        var b = n.putArray("providers");
        for (ProviderStatus p : routes.providerStatus()) {
            b.addObject().put("name", p.name()).put("breaker", p.breaker().name().toLowerCase(java.util.Locale.ROOT))
                    .put("cooldown_s", p.cooldownLeft().toMillis() / 1000.0);
        }
        var m = n.putArray("models");
        for (String name : models.names()) {
            var model = models.loaded(name);
            ObjectNode e = m.addObject().put("name", name).put("loaded", model != null);
            if (model != null) {
                var st = model.stats();
                e.put("running", st.running()).put("waiting", st.waiting()).put("max_running", st.maxRunning());
            }
        }
        n.putPOJO("routes", routes.routeNames());
        return n;
    }

    private static void percentiles(ObjectNode n, Window w) {
        double[] p = w.percentiles(50, 95, 99);
        n.put("count", w.count());
        if (!Double.isNaN(p[0])) n.put("p50", p[0]).put("p95", p[1]).put("p99", p[2]);
    }
}
