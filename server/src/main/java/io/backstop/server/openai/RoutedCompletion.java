package io.backstop.server.openai;

import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.config.RequestDefaults;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.guard.AnswerRejected;
import io.backstop.server.guard.GuardService;
import io.backstop.server.observe.Attempt;
import io.backstop.server.observe.Observation;
import io.backstop.server.route.Deadline;
import io.backstop.server.route.Gate;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RemoteProvider;
import io.backstop.server.route.RouteTable;
import io.backstop.server.route.TargetRace;
import io.backstop.server.route.UpstreamFailure;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Serves a route: its targets race in order ({@link TargetRace}: the next starts at once when one fails
 * before content, or beside a slow remote one after fallback_after_ms). A remote target
 * ({@link RemoteAnswer}) gets the provider's retries, breaker and cool-down; a local target is never
 * retried. Nothing reaches the client before a target has content, so a fallback is invisible.
 */
final class RoutedCompletion {
    static final String PROVIDER_HEADER = "X-Backstop-Provider";
    static final String MODEL_HEADER = "X-Backstop-Model";

    /**
     * What an endpoint contributes: its upstream path, its prompts (completions take several), the
     * response shapes used when a local model answers (given the model, e.g. to echo a token-id prompt as
     * text), its request rules (default max_tokens, prompt scoring), and what the request asks of its
     * output (response format, tools).
     */
    record Endpoint(String path, boolean chat, Function<Fields, List<Prompt>> prompts, Formats format, RequestMapper.Rules rules,
                    StructuredOutput structured) {}

    /** The response shapes of a local model's answer to these prompts (as routed: redacted, fitted). */
    interface Formats {
        ResponseFormat of(RequestMapper.Common common, Model model, List<Prompt> prompts, StructuredOutput.Local local);
    }

    private final ModelRegistry models;
    private final RouteTable routes;
    private final CompletionRunner runner;
    private final int timeoutSeconds;
    private final GuardedInput input;
    private final ChatFitting fitting;

    RoutedCompletion(ModelRegistry models, RouteTable routes, CompletionRunner runner, int timeoutSeconds, GuardService guards) {
        this.models = models;
        this.routes = routes;
        this.runner = runner;
        this.timeoutSeconds = timeoutSeconds;
        this.input = new GuardedInput(guards, models, routes);
        this.fitting = new ChatFitting(guards, new InternalCompletion(models, routes, timeoutSeconds));
    }

    /**
     * Serves a request for a public model name: a route, or a local model by its own name. The input
     * guardrails of that name run first, before routing and any model work; an answer that is not the
     * JSON the request asked for from every target gets the name's fallback answer (or a 502).
     */
    void serve(Context ctx, String name, Fields f, Endpoint endpoint) {
        RouteConfig route = routes.route(name);
        boolean local = route == null && models.names().contains(name);
        RequestMapper.Common common = RequestMapper.common(f, endpoint.chat());
        int choices = endpoint.prompts().apply(f).size() * common.n();
        Fields checked = input.completion(ctx, name, f, endpoint, common, choices);
        // observed as the models see it (redacted by the guardrails)
        Observation.of(ctx).request(name, route != null || local, route != null, endpoint.chat(), f.root().path("stream").asBoolean(false),
                (checked != null ? checked : f).root());
        if (checked == null) return; // blocked, and answered with the fallback answer
        f = checked;
        try {
            if (route != null) {
                run(ctx, route, f, endpoint);
                return;
            }
            List<Prompt> prompts = endpoint.prompts().apply(f);
            RouteConfig.Target target = new RouteConfig.Target(RouteConfig.Target.LOCAL, name, null, null);
            try (Attempt attempt = local ? Observation.of(ctx).attempt(target) : Attempt.NONE) { // an unknown name is a 404, not a target
                try {
                    serveLocally(ctx, target, f, prompts, common, endpoint, attempt.watch(Gate.OPEN));
                } catch (RuntimeException e) {
                    attempt.failed(e);
                    throw e;
                }
            }
        } catch (AnswerRejected rejected) {
            String fallback = input.guards().policy(name).fallbackAnswer();
            if (fallback == null) {
                String param = f.has("response_format") ? "response_format" : "guided_json";
                throw new ApiException(502, "server_error", param, "response_format_violation",
                        "no target of '" + name + "' answered with the JSON that " + param + " asks for (last: " + rejected.getMessage() + ")", Map.of());
            }
            FallbackAnswer.write(ctx, endpoint, common, name, fallback, choices);
        }
    }

    private void run(Context ctx, RouteConfig route, Fields f, Endpoint endpoint) {
        RequestMapper.Common common = RequestMapper.common(f, endpoint.chat());
        List<Prompt> prompts = endpoint.prompts().apply(f);
        // range checks before any network call: a bad request is the client's, not a provider failure
        RequestMapper.requests(f, prompts, common, endpoint.rules(), RequestDefaults.none(), 0)
                .forEach(r -> r.validate(Integer.MAX_VALUE));
        String id = RequestIdOf.get(ctx);
        Observation observation = Observation.of(ctx);
        List<TargetRace.Failure> failures = new TargetRace(route, id, (target, gate) -> {
            try (Attempt attempt = observation.attempt(target)) { // on this target's own thread
                try {
                    if (target.isLocal()) {
                        serveLocally(ctx, target, f, prompts, common, endpoint, attempt.watch(gate));
                    } else {
                        RemoteProvider p = routes.provider(target.provider());
                        Fields fitted = endpoint.chat() ? fitting.remote(ctx, f, target) : f;
                        new RemoteAnswer(p, target, endpoint, id).answer(ctx, fitted, common.stream(), deadline(p), route.maxRetryWait(), attempt.watch(gate));
                    }
                } catch (Throwable t) {
                    attempt.failed(t);
                    throw t;
                }
            }
        }).serve();
        if (failures.isEmpty()) return;
        for (TargetRace.Failure x : failures) if (x.error() instanceof AnswerRejected r) throw r; // an answer came, but not the JSON asked for
        RouteConfig.Target lastTarget = route.targets().get(route.targets().size() - 1);
        for (TargetRace.Failure x : failures) { // a chain ending with a local model answers with that model's own error (e.g. 429 busy)
            if (x.target() == lastTarget && lastTarget.isLocal() && x.error() instanceof RuntimeException e) throw e;
        }
        throw allFailed(route, failures.stream().map(TargetRace.Failure::error)
                .filter(UpstreamFailure.class::isInstance).map(UpstreamFailure.class::cast).toList());
    }

    /** The headers say who answers, so they are set only once this target has the gate. */
    private void serveLocally(Context ctx, RouteConfig.Target target, Fields f, List<Prompt> prompts, RequestMapper.Common common, Endpoint endpoint, Gate gate) {
        Model model = models.get(target.model());
        RequestDefaults defaults = models.config(target.model()).defaults();
        if (endpoint.chat()) {
            Fields fitted = fitting.local(ctx, f, model, target, defaults.maxTokens());
            if (fitted != f) prompts = endpoint.prompts().apply(f = fitted);
        }
        StructuredOutput.Local local = endpoint.structured().forModel(model);
        List<GenerationRequest> requests = RequestMapper.requests(f, prompts, common, endpoint.rules(), defaults, timeoutSeconds)
                .stream().map(local::apply).toList();
        if (target.maxTokens() != null || target.temperature() != null) requests = requests.stream().map(r -> override(r, target)).toList();
        runner.run(ctx, model, requests, endpoint.format().of(common, model, prompts, local), common, gate.then(() -> {
            ctx.header(PROVIDER_HEADER, "local");
            ctx.header(MODEL_HEADER, target.model());
        }));
    }

    private static GenerationRequest override(GenerationRequest r, RouteConfig.Target t) {
        var s = r.sampling();
        var sampling = new io.backstop.engine.sampling.SamplingParams(t.temperature() != null ? t.temperature() : s.temperature(),
                s.topP(), s.topK(), s.minP(), s.seed(), s.repetitionPenalty(), s.presencePenalty(), s.frequencyPenalty(), s.logitBias());
        return new GenerationRequest(r.prompt(), t.maxTokens() != null ? t.maxTokens() : r.maxTokens(), sampling, r.stop(),
                r.stopTokenIds(), r.logprobs(), r.timeout(), r.promptLogprobs(), r.constraint());
    }

    private Deadline deadline(RemoteProvider p) {
        Duration d = p.config().deadline();
        if (timeoutSeconds > 0 && Duration.ofSeconds(timeoutSeconds).compareTo(d) < 0) d = Duration.ofSeconds(timeoutSeconds);
        return Deadline.in(d);
    }

    /**
     * 503 + Retry-After when every provider is known to be unavailable (breaker open or cooling down: come
     * back when the first cool-down ends, or in 5 s), 504 when the last failure was a timeout, else 502.
     */
    private static ApiException allFailed(RouteConfig route, List<UpstreamFailure> failures) {
        boolean unavailable = !failures.isEmpty() && failures.stream().allMatch(UpstreamFailure::unavailable);
        UpstreamFailure last = failures.isEmpty() ? null : failures.get(failures.size() - 1);
        boolean timedOut = last != null && (last.kind() == UpstreamFailure.Kind.TIMEOUT || last.kind() == UpstreamFailure.Kind.DEADLINE);
        int status = unavailable ? 503 : timedOut ? 504 : 502;
        String message = "every target of '" + route.name() + "' failed: " + summary(failures);
        long retryAfter = failures.stream().filter(f -> f.kind() == UpstreamFailure.Kind.COOLING_DOWN && f.retryAfter() != null)
                .mapToLong(f -> (f.retryAfter().toMillis() + 999) / 1000).min().orElse(5);
        return new ApiException(status, "upstream_error", null, unavailable ? "providers_unavailable" : timedOut ? "upstream_timeout" : "upstream_failed",
                message, unavailable ? Map.of("Retry-After", Long.toString(Math.max(1, retryAfter))) : Map.of());
    }

    private static String summary(List<UpstreamFailure> failures) {
        return String.join("; ", failures.stream().map(Throwable::getMessage).toList());
    }
}
