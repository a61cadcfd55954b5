package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.EngineException;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.route.Deadline;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RemoteProvider;
import io.backstop.server.route.RouteTable;
import io.backstop.server.route.UpstreamFailure;
import io.backstop.server.route.UpstreamStream;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a route: tries its targets in order. A remote target gets the provider's retries and breaker;
 * when it fails, the next target runs at once; a local target is never retried. Streams fall back only
 * before the first content byte reached the client; after that a failure ends the stream with an error
 * event and a final chunk (continuing on another model would duplicate text).
 */
final class RoutedCompletion {
    private static final Logger LOG = LoggerFactory.getLogger(RoutedCompletion.class);
    static final String PROVIDER_HEADER = "X-Backstop-Provider";
    static final String MODEL_HEADER = "X-Backstop-Model";
    private static final List<String> EXTRAS = List.of("top_k", "min_p", "repetition_penalty");

    /**
     * What an endpoint contributes: its upstream path, its prompts (completions take several), the
     * response shapes used when a local model answers (given the model, e.g. to echo a token-id prompt as
     * text), and its request rules (default max_tokens, prompt scoring).
     */
    record Endpoint(String path, boolean chat, Function<Fields, List<Prompt>> prompts,
                    BiFunction<RequestMapper.Common, Model, ResponseFormat> format, RequestMapper.Rules rules) {}

    private final ModelRegistry models;
    private final RouteTable routes;
    private final CompletionRunner runner;
    private final int timeoutSeconds;

    RoutedCompletion(ModelRegistry models, RouteTable routes, CompletionRunner runner, int timeoutSeconds) {
        this.models = models;
        this.routes = routes;
        this.runner = runner;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Serves a request for a public model name: a route, or a local model by its own name. */
    void serve(Context ctx, String name, Fields f, Endpoint endpoint) {
        RouteConfig route = routes.route(name);
        if (route != null) {
            run(ctx, route, f, endpoint);
            return;
        }
        List<Prompt> prompts = endpoint.prompts().apply(f);
        serveLocally(ctx, new RouteConfig.Target(RouteConfig.Target.LOCAL, name, null, null), f, prompts,
                RequestMapper.common(f, endpoint.chat()), endpoint);
    }

    private void run(Context ctx, RouteConfig route, Fields f, Endpoint endpoint) {
        RequestMapper.Common common = RequestMapper.common(f, endpoint.chat());
        List<Prompt> prompts = endpoint.prompts().apply(f);
        // range checks before any network call: a bad request is the client's, not a provider failure
        RequestMapper.requests(f, prompts, common, endpoint.rules(), io.backstop.server.config.RequestDefaults.none(), 0)
                .forEach(r -> r.validate(Integer.MAX_VALUE));
        String id = RequestIdOf.get(ctx);
        List<UpstreamFailure> failures = new ArrayList<>();
        for (RouteConfig.Target target : route.targets()) {
            if (target.isLocal()) {
                try {
                    serveLocally(ctx, target, f, prompts, common, endpoint);
                    if (!failures.isEmpty()) LOG.info("request {}: route '{}' fell back to {} after: {}", id, route.name(), target.label(), summary(failures));
                    return;
                } catch (EngineException | ApiException e) {
                    if (target == route.targets().get(route.targets().size() - 1)) throw e;
                    LOG.debug("request {}: local target {} failed: {}", id, target.label(), e.getMessage());
                    continue;
                }
            }
            RemoteProvider p = routes.provider(target.provider());
            AtomicInteger attempts = new AtomicInteger();
            try {
                if (common.stream()) streamRemote(ctx, p, target, f, endpoint, attempts, id);
                else completeRemote(ctx, p, target, f, endpoint, attempts);
                LOG.debug("request {}: {} served by {} after {} attempt(s)", id, route.name(), target.label(), attempts.get());
                return;
            } catch (UpstreamFailure e) {
                LOG.debug("request {}: {} failed after {} attempt(s): {} ({})", id, target.label(), attempts.get(), e.getMessage(), e.kind());
                failures.add(e);
            }
        }
        throw allFailed(route, failures);
    }

    private void serveLocally(Context ctx, RouteConfig.Target target, Fields f, List<Prompt> prompts, RequestMapper.Common common, Endpoint endpoint) {
        Model model = models.get(target.model());
        List<GenerationRequest> requests = RequestMapper.requests(f, prompts, common, endpoint.rules(), models.config(target.model()).defaults(), timeoutSeconds);
        if (target.maxTokens() != null || target.temperature() != null) requests = requests.stream().map(r -> override(r, target)).toList();
        ctx.header(PROVIDER_HEADER, "local");
        ctx.header(MODEL_HEADER, target.model());
        runner.run(ctx, model, requests, endpoint.format().apply(common, model), common);
    }

    private static GenerationRequest override(GenerationRequest r, RouteConfig.Target t) {
        var s = r.sampling();
        var sampling = new io.backstop.engine.sampling.SamplingParams(t.temperature() != null ? t.temperature() : s.temperature(),
                s.topP(), s.topK(), s.minP(), s.seed(), s.repetitionPenalty(), s.presencePenalty(), s.frequencyPenalty(), s.logitBias());
        return new GenerationRequest(r.prompt(), t.maxTokens() != null ? t.maxTokens() : r.maxTokens(), sampling, r.stop(),
                r.stopTokenIds(), r.logprobs(), r.timeout(), r.promptLogprobs());
    }

    private ObjectNode upstreamBody(Fields f, RemoteProvider p, RouteConfig.Target target, boolean stream) {
        ObjectNode body = ((ObjectNode) f.root()).deepCopy();
        body.put("model", target.model());
        if (target.maxTokens() != null) {
            body.remove("max_tokens");
            body.put(body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", target.maxTokens());
        }
        if (target.temperature() != null) body.put("temperature", target.temperature());
        if (!p.config().passExtras()) EXTRAS.forEach(body::remove);
        body.put("stream", stream);
        return body;
    }

    private Deadline deadline(RemoteProvider p) {
        Duration d = p.config().deadline();
        if (timeoutSeconds > 0 && Duration.ofSeconds(timeoutSeconds).compareTo(d) < 0) d = Duration.ofSeconds(timeoutSeconds);
        return Deadline.in(d);
    }

    private void completeRemote(Context ctx, RemoteProvider p, RouteConfig.Target target, Fields f, Endpoint endpoint, AtomicInteger attempts) {
        ObjectNode body = upstreamBody(f, p, target, false);
        Deadline deadline = deadline(p);
        JsonNode answer = p.guard().call(deadline, () -> {
            attempts.incrementAndGet();
            return p.client().complete(endpoint.path(), body, deadline);
        });
        ctx.header(PROVIDER_HEADER, p.name());
        ctx.header(MODEL_HEADER, target.model());
        ctx.contentType("application/json").result(Json.write(answer));
    }

    /** The events read before the first content: sent together once content arrives. */
    private record Started(UpstreamStream stream, List<String> buffered, JsonNode first, boolean ended) {}

    private void streamRemote(Context ctx, RemoteProvider p, RouteConfig.Target target, Fields f, Endpoint endpoint,
                              AtomicInteger attempts, String requestId) {
        ObjectNode body = upstreamBody(f, p, target, true);
        Deadline deadline = deadline(p);
        Started s = p.guard().call(deadline, () -> {
            attempts.incrementAndGet();
            return start(p.client().stream(endpoint.path(), body, deadline), endpoint.chat());
        });
        // From here on the client has the provider's content: no more fallback.
        ctx.header(PROVIDER_HEADER, p.name());
        ctx.header(MODEL_HEADER, target.model());
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        long started = System.nanoTime();
        try (UpstreamStream stream = s.stream()) {
            SseWriter sse = new SseWriter(ctx.res().getOutputStream());
            for (String data : s.buffered()) sse.data(data);
            if (!s.ended()) {
                try {
                    String data;
                    while ((data = stream.nextData()) != null) sse.data(data);
                } catch (UpstreamFailure mid) {
                    p.guard().recordFailure(System.nanoTime() - started, mid);
                    LOG.warn("request {}: {} failed mid-stream: {}", requestId, target.label(), mid.getMessage());
                    sse.event(Json.error(new ApiException(502, "upstream_error", null, "upstream_stream_interrupted",
                            mid.getMessage() + "; the text above is complete up to this point", Map.of())));
                    sse.event(finalChunk(s.first(), endpoint.chat()));
                }
            }
            sse.done();
        } catch (IOException | UncheckedIOException clientGone) {
            LOG.debug("request {}: client disconnected from a {} stream", requestId, target.label());
        }
    }

    /** Reads events until one carries content (or the stream ends); an error event counts as a failure. */
    private static Started start(UpstreamStream stream, boolean chat) {
        List<String> buffered = new ArrayList<>();
        try {
            while (true) {
                String data = stream.nextData();
                if (data == null) return new Started(stream, buffered, null, true);
                JsonNode event;
                try {
                    event = Json.MAPPER.readTree(data);
                } catch (IOException e) {
                    throw stream.failure(UpstreamFailure.Kind.INVALID_RESPONSE, "sent a stream event that is not JSON");
                }
                if (event.has("error")) {
                    throw stream.failure(UpstreamFailure.Kind.RETRYABLE, "opened its stream with an error event");
                }
                buffered.add(data);
                if (hasContent(event, chat)) return new Started(stream, buffered, event, false);
            }
        } catch (UpstreamFailure e) {
            stream.close();
            throw e;
        }
    }

    private static boolean hasContent(JsonNode event, boolean chat) {
        for (JsonNode c : event.path("choices")) {
            if (chat && (!c.path("delta").path("content").asText("").isEmpty() || c.path("delta").has("tool_calls"))) return true;
            if (!chat && !c.path("text").asText("").isEmpty()) return true;
            if (c.hasNonNull("finish_reason")) return true;
        }
        return false;
    }

    /** Closes a broken stream in the shape clients expect: finish_reason "error" (documented in the README). */
    private static ObjectNode finalChunk(JsonNode first, boolean chat) {
        ObjectNode n = Json.object();
        n.put("id", first == null ? "" : first.path("id").asText(""));
        n.put("object", chat ? "chat.completion.chunk" : "text_completion");
        n.put("created", first == null ? System.currentTimeMillis() / 1000 : first.path("created").asLong());
        n.put("model", first == null ? "" : first.path("model").asText(""));
        ObjectNode c = n.putArray("choices").addObject();
        c.put("index", 0);
        if (chat) c.putObject("delta");
        else c.put("text", "");
        c.putNull("logprobs");
        c.put("finish_reason", "error");
        return n;
    }

    private static ApiException allFailed(RouteConfig route, List<UpstreamFailure> failures) {
        boolean allSkipped = !failures.isEmpty() && failures.stream().allMatch(f -> f.kind() == UpstreamFailure.Kind.BREAKER_OPEN);
        UpstreamFailure last = failures.isEmpty() ? null : failures.get(failures.size() - 1);
        boolean timedOut = last != null && (last.kind() == UpstreamFailure.Kind.TIMEOUT || last.kind() == UpstreamFailure.Kind.DEADLINE);
        int status = allSkipped ? 503 : timedOut ? 504 : 502;
        String message = "every target of '" + route.name() + "' failed: " + summary(failures);
        return new ApiException(status, "upstream_error", null, allSkipped ? "providers_unavailable" : timedOut ? "upstream_timeout" : "upstream_failed",
                message, allSkipped ? Map.of("Retry-After", "5") : Map.of());
    }

    private static String summary(List<UpstreamFailure> failures) {
        return String.join("; ", failures.stream().map(Throwable::getMessage).toList());
    }
}
