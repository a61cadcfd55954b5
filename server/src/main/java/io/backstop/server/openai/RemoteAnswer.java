package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.config.RouteConfig;
import io.backstop.server.observe.Attempt;
import io.backstop.server.observe.StreamTap;
import io.backstop.server.route.Deadline;
import io.backstop.server.guard.RequestGuard;
import io.backstop.server.route.Gate;
import io.backstop.server.route.RemoteProvider;
import io.backstop.server.route.UpstreamClient;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote target's answer. It is read up to its first content (with the provider's retries, breaker and
 * cool-down) without touching the client; only if it then passes the gate is it written to the client —
 * a stream's held events first, then the rest as it arrives. Once content has reached the client, a
 * failure (reset, stall, deadline, an error or malformed event, an overlong line) ends the stream with the
 * documented {@code upstream_stream_interrupted} event, a final chunk and {@code [DONE]}: continuing on
 * another model would duplicate text, and the upstream's own words never reach the client. An answer
 * outside the JSON the request asked for (whole, or a stream read to its end before the gate) counts as a
 * failed target ({@link GuardedRemote}).
 */
final class RemoteAnswer {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteAnswer.class);
    private static final List<String> EXTRAS = List.of("top_k", "min_p", "repetition_penalty");

    private final RemoteProvider provider;
    private final RouteConfig.Target target;
    private final RoutedCompletion.Endpoint endpoint;
    private final String requestId;
    private final AtomicInteger attempts = new AtomicInteger();

    RemoteAnswer(RemoteProvider provider, RouteConfig.Target target, RoutedCompletion.Endpoint endpoint, String requestId) {
        this.provider = provider;
        this.target = target;
        this.endpoint = endpoint;
        this.requestId = requestId;
    }

    /**
     * Answers through the gate, or returns without a word to the client when another target won it.
     * Losing the gate while still waiting interrupts this thread, which aborts the HTTP exchange.
     *
     * @throws UpstreamFailure when no content came (the route may fall back)
     */
    void answer(Context ctx, Fields f, boolean stream, Deadline deadline, Duration maxRetryWait, Gate gate) {
        Thread self = Thread.currentThread();
        gate.onCancel(self::interrupt);
        ObjectNode body = upstreamBody(f, stream);
        RequestGuard guard = RequestGuard.of(ctx);
        Attempt attempt = Attempt.current();
        boolean clientWantsUsage = f.root().path("stream_options").path("include_usage").asBoolean(false);
        if (stream && attempt != Attempt.NONE && !clientWantsUsage) { // the server wants the stream's tokens and cost
            ObjectNode options = body.get("stream_options") instanceof ObjectNode o ? o : body.putObject("stream_options");
            options.put("include_usage", true);
        }
        if (stream) {
            Started s = provider.guard().call(deadline, maxRetryWait, () -> attempt.call(() -> {
                attempts.incrementAndGet();
                return start(provider.client().stream(endpoint.path(), body, deadline), endpoint.chat());
            }));
            attempt.firstContent();
            // a stream that must be valid JSON is read to its end and checked before the gate: it may still fall back
            GuardedRemote.Held held = guard.validatesJson() ? hold(s, guard) : null;
            if (!gate.enter()) {
                s.stream().close();
                return;
            }
            if (held == null) {
                relay(ctx, s, guard.checksOutput() ? new GuardedRemote.Relay(guard, endpoint.chat()) : null, attempt.tap(), clientWantsUsage);
            } else {
                relay(ctx, new Started(s.stream(), held.events(), s.first(), true), null, attempt.tap(), clientWantsUsage);
                GuardedRemote.answered(guard, held.text(), held.usage());
            }
        } else {
            JsonNode raw = provider.guard().call(deadline, maxRetryWait, () -> attempt.call(() -> {
                attempts.incrementAndGet();
                return provider.client().complete(endpoint.path(), body, deadline);
            }));
            attempt.answered(raw); // tokens and cost count even when the answer is then refused
            JsonNode answer = GuardedRemote.whole(guard, raw, endpoint.chat(), target.label()); // before the gate: an answer that is not the JSON asked for falls back
            if (!gate.enter()) return;
            headers(ctx);
            attempt.costHeader(ctx::header);
            ctx.contentType("application/json").result(Json.write(answer));
            GuardedRemote.answered(guard, answer, endpoint.chat());
        }
        LOG.debug("request {}: {} answered after {} attempt(s)", requestId, target.label(), attempts.get());
    }

    private void headers(Context ctx) {
        ctx.header(RoutedCompletion.PROVIDER_HEADER, provider.name());
        ctx.header(RoutedCompletion.MODEL_HEADER, target.model());
    }

    private ObjectNode upstreamBody(Fields f, boolean stream) {
        ObjectNode body = ((ObjectNode) f.root()).deepCopy();
        body.put("model", target.model());
        if (target.maxTokens() != null) {
            body.remove("max_tokens");
            body.put(body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens", target.maxTokens());
        }
        if (target.temperature() != null) body.put("temperature", target.temperature());
        if (!provider.config().passExtras()) EXTRAS.forEach(body::remove);
        body.put("stream", stream);
        return body;
    }

    /** The events read before the first content: sent together once this answer won. */
    private record Started(UpstreamStream stream, List<String> held, JsonNode first, boolean ended) {}

    /** Reads events until one carries content (or the stream ends). */
    private static Started start(UpstreamStream stream, boolean chat) {
        List<String> held = new ArrayList<>();
        try {
            while (true) {
                String data = stream.nextData(); // error and malformed events fail here
                if (data == null) return new Started(stream, held, null, true);
                JsonNode event = Json.MAPPER.readTree(data);
                held.add(data);
                if (hasContent(event, chat)) return new Started(stream, held, event, false);
            }
        } catch (IOException e) {
            stream.close();
            throw stream.failure(UpstreamFailure.Kind.INVALID_RESPONSE, "sent a stream event that is not JSON");
        } catch (UpstreamFailure e) {
            stream.close();
            throw e;
        }
    }

    /** Reads the rest of a stream without passing it on, and checks it whole; a failure here may still fall back. */
    private GuardedRemote.Held hold(Started s, RequestGuard guard) {
        List<String> all = new ArrayList<>(s.held());
        long bytes = 0;
        long started = System.nanoTime();
        try {
            String data;
            while (!s.ended() && (data = s.stream().nextData()) != null) {
                all.add(data);
                bytes += data.length();
                if (bytes > UpstreamClient.MAX_ANSWER_BYTES) throw s.stream().failure(UpstreamFailure.Kind.INVALID_RESPONSE, "sent a stream longer than " + UpstreamClient.MAX_ANSWER_BYTES + " bytes");
            }
        } catch (UpstreamFailure e) {
            s.stream().close();
            if (e.kind() != UpstreamFailure.Kind.CANCELLED) provider.guard().recordFailure(System.nanoTime() - started, e);
            throw e;
        }
        try {
            return GuardedRemote.held(guard, all, endpoint.chat(), target.label());
        } catch (RuntimeException e) {
            s.stream().close();
            throw e;
        }
    }

    /**
     * Passes the stream to the client; the provider's content reaches it from here on: no more fallback.
     *
     * @param checks the output checks each event goes through, or null to pass events as they are
     */
    private void relay(Context ctx, Started s, GuardedRemote.Relay checks, StreamTap tap, boolean clientWantsUsage) {
        headers(ctx);
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        long started = System.nanoTime();
        try (UpstreamStream stream = s.stream()) {
            SseWriter sse = new SseWriter(ctx.res().getOutputStream());
            for (String data : s.held()) pass(sse, checks, data, tap, clientWantsUsage);
            boolean complete = true;
            if (!s.ended()) {
                try {
                    String data;
                    // a stream whose every choice a check has ended is closed: nothing more of it may be sent
                    while ((checks == null || !checks.allStopped()) && (data = stream.nextData()) != null) pass(sse, checks, data, tap, clientWantsUsage);
                } catch (UpstreamFailure mid) {
                    complete = false;
                    if (mid.kind() != UpstreamFailure.Kind.CANCELLED) provider.guard().recordFailure(System.nanoTime() - started, mid); // not when the server stops
                    Attempt.current().brokeOff("upstream_stream_interrupted");
                    LOG.warn("request {}: {} failed mid-stream, ending the stream with an error event: {}", requestId, target.label(), mid.getMessage());
                    sse.event(Json.error(new ApiException(502, "upstream_error", null, "upstream_stream_interrupted",
                            mid.getMessage() + "; the text above is complete up to this point", Map.of())));
                    sse.event(finalChunk(s.first(), endpoint.chat()));
                }
            }
            if (complete && checks != null) for (String rest : checks.end()) sse.data(rest);
            sse.done();
        } catch (IOException | UncheckedIOException clientGone) {
            LOG.debug("request {}: client disconnected from a {} stream", requestId, target.label());
        } finally {
            tap.end();
        }
    }

    /**
     * One event to the client, through the output checks when there are any. The usage-only event (asked
     * for by the server for tokens and cost) goes on only when the client asked for it too, then with
     * {@code usage.cost_usd}.
     */
    private static void pass(SseWriter sse, GuardedRemote.Relay checks, String data, StreamTap tap, boolean clientWantsUsage) {
        if (StreamTap.isUsageOnly(data)) {
            String withCost = tap.usage(data);
            List<String> out = checks == null ? List.of(withCost) : checks.event(withCost); // the checks hear of the usage either way
            if (clientWantsUsage) for (String e : out) sse.data(e);
            return;
        }
        tap.event(data);
        if (checks == null) sse.data(data);
        else for (String e : checks.event(data)) sse.data(e);
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
}
