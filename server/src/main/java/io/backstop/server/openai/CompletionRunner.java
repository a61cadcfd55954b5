package io.backstop.server.openai;

import io.backstop.engine.EngineException;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationHandle;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.server.http.ClientConnection;
import io.backstop.server.http.RequestLog;
import io.backstop.server.lifecycle.InFlight;
import io.backstop.server.guard.RequestGuard;
import io.backstop.server.guard.output.OutputChunk;
import io.backstop.server.guard.output.StreamingOutputCheck;
import io.backstop.server.observe.Attempt;
import io.backstop.server.route.Gate;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the choices of a completion request and answers with one JSON object or an SSE stream. While it
 * waits it watches the client: one that hangs up cancels its generations (queued ones leave the queue).
 * A shutdown that ends the generations is answered 503 (or, on a stream, an error event and [DONE]).
 */
final class CompletionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionRunner.class);
    static final String FINGERPRINT = "fp_backstop_0_1_0";
    /** How often a waiting request checks that its client is still there. */
    private static final long WATCH_MILLIS = 100;

    private final RequestLog log;
    private final InFlight inFlight;

    CompletionRunner(RequestLog log, InFlight inFlight) {
        this.log = log;
        this.inFlight = inFlight;
    }

    void run(Context ctx, Model model, List<GenerationRequest> requests, ResponseFormat format, RequestMapper.Common common) {
        run(ctx, model, requests, format, common, Gate.OPEN);
    }

    /**
     * Runs the generations; nothing is written to {@code ctx} before the gate is passed (a stream at its
     * first event, a whole answer once complete), and a target that loses the gate is cancelled.
     */
    void run(Context ctx, Model model, List<GenerationRequest> requests, ResponseFormat format, RequestMapper.Common common, Gate gate) {
        ResponseFormat.Meta meta = new ResponseFormat.Meta(format.idPrefix() + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000, model.name(), FINGERPRINT);
        RequestGuard guard = RequestGuard.of(ctx);
        // an unconstrained stream that must be valid JSON is held until it is complete and validated
        boolean hold = guard.validatesJson() && requests.stream().anyMatch(r -> r.constraint() == null);
        if (common.stream() && !hold) stream(ctx, model, requests, format, common, meta, gate, guard);
        else whole(ctx, model, requests, format, common, meta, gate, guard);
    }

    private void whole(Context ctx, Model model, List<GenerationRequest> requests, ResponseFormat format, RequestMapper.Common common,
                       ResponseFormat.Meta meta, Gate gate, RequestGuard guard) {
        List<GenerationHandle> handles = submitAll(model, requests, i -> GenerationListener.NONE);
        gate.onCancel(() -> handles.forEach(GenerationHandle::cancel));
        List<GenerationResult> results;
        boolean clientGone;
        boolean shutdown;
        try (InFlight.Entry entry = inFlight.enter(handles)) {
            clientGone = awaitAll(handles, ClientConnection.closedCheck(ctx));
            results = results(handles);
            shutdown = entry.endedByShutdown();
        }
        record(ctx, model, results);
        if (clientGone) {
            LOG.debug("request {}: client disconnected; its generation was cancelled", RequestIdOf.get(ctx));
            return;
        }
        boolean cancelled = results.stream().anyMatch(r -> r.finishReason() == FinishReason.CANCELLED);
        // output checks before the gate: an answer that is not the JSON asked for lets the next target answer
        GuardedAnswers.Checked checked = shutdown || cancelled ? null : GuardedAnswers.check(guard, results, format, "local:" + model.name());
        if (!gate.enter()) return; // another target answers
        if (shutdown) throw shuttingDown();
        if (cancelled) throw timedOut();
        Usage usage = total(results, common.n());
        if (common.stream()) {
            try {
                GuardedAnswers.replay(new SseWriter(() -> openStream(ctx)), format, meta, checked, usage, common.includeUsage());
            } catch (UncheckedIOException hungUp) {
                LOG.debug("request {}: client disconnected", RequestIdOf.get(ctx));
            }
        } else {
            ObjectNode body = format.response(meta, checked.results(), usage);
            checked.patch(body);
            FinishReasons.choiceDetails(body, checked.results());
            Attempt.current().costHeader(ctx::header);
            ctx.contentType("application/json").result(Json.write(body));
        }
        guard.answered(GuardedAnswers.texts(checked.results()), usage.promptTokens(), usage.completionTokens());
    }

    private static java.io.OutputStream openStream(Context ctx) throws IOException {
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no"); // keep proxies from buffering tokens
        return ctx.res().getOutputStream();
    }

    private void stream(Context ctx, Model model, List<GenerationRequest> requests, ResponseFormat format,
                        RequestMapper.Common common, ResponseFormat.Meta meta, Gate gate, RequestGuard guard) {
        SseWriter sse = new SseWriter(() -> { // the response opens with the first event, if this target answers
            if (!gate.enter()) throw new IOException("another target answers this request");
            return openStream(ctx);
        });
        List<ChoiceStream> choices = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) choices.add(new ChoiceStream(i, sse, format, meta, guard));
        List<GenerationHandle> handles = submitAll(model, requests, choices::get);
        for (int i = 0; i < handles.size(); i++) choices.get(i).handle(handles.get(i));
        gate.onCancel(() -> handles.forEach(GenerationHandle::cancel));
        List<GenerationResult> results = new ArrayList<>();
        InFlight.Entry entry = inFlight.enter(handles); // left once every choice has ended, so a drain never outruns one
        try {
            BooleanSupplier closed = ClientConnection.closedCheck(ctx);
            for (int i = 0; i < handles.size(); i++) {
                GenerationResult r;
                try {
                    awaitAll(List.of(handles.get(i)), () -> sse.isBroken() || closed.getAsBoolean(), handles);
                    r = handles.get(i).await();
                } catch (EngineException e) {
                    LOG.error("request {}: generation failed", RequestIdOf.get(ctx), e);
                    settle(handles, results);
                    end(sse, new ApiException(500, "server_error", null, "generation_failed",
                            "generation failed (request id " + RequestIdOf.get(ctx) + ")", Map.of()));
                    return;
                }
                results.add(r);
                if (sse.isBroken()) break;
                if (r.finishReason() == FinishReason.CANCELLED && !choices.get(i).stoppedByGuard()) {
                    settle(handles, results);
                    end(sse, entry.endedByShutdown() ? shuttingDown() : r.finishDetail() != null ? cancelled(r.finishDetail()) : timedOut());
                    return;
                }
                choices.get(i).finish(FinishReasons.of(r.finishReason()), r);
            }
            if (!sse.isBroken()) {
                Usage usage = total(results, common.n());
                if (common.includeUsage()) sse.event(Attempt.current().withCost(format.usageChunk(meta, usage), results));
                sse.done();
                guard.answered(String.join("\n\n", choices.stream().map(ChoiceStream::sent).toList()), usage.promptTokens(), usage.completionTokens());
            }
        } catch (UncheckedIOException clientGone) {
            LOG.debug("request {}: client disconnected", RequestIdOf.get(ctx));
        } finally {
            if (sse.isBroken()) handles.forEach(GenerationHandle::cancel);
            awaitRest(handles, results);
            entry.close();
            record(ctx, model, results);
        }
    }

    /**
     * Cancels every choice and waits until each has ended: a result completes only after its last token reached
     * the listener, so no other choice's delta can follow the ending written next.
     */
    private static void settle(List<GenerationHandle> handles, List<GenerationResult> results) {
        handles.forEach(GenerationHandle::cancel);
        awaitRest(handles, results);
    }

    /** Adds the results of the handles after the first {@code results.size()} as they end. */
    private static void awaitRest(List<GenerationHandle> handles, List<GenerationResult> results) {
        for (int i = results.size(); i < handles.size(); i++) {
            try {
                results.add(handles.get(i).await());
            } catch (EngineException ignored) {
                // already reported or the client is gone
            }
        }
    }

    /** Ends a stream with an error event, then [DONE]: a client never sees an unterminated stream. */
    private static void end(SseWriter sse, ApiException e) {
        Attempt.current().brokeOff(e.code());
        if (sse.isBroken()) return;
        sse.event(Json.error(e));
        sse.done();
    }

    private static ApiException timedOut() {
        return new ApiException(504, "server_error", null, "timeout", "generation exceeded the server's request timeout", Map.of());
    }

    /** The engine ended the stream and says why (e.g. the client did not keep up with it). */
    private static ApiException cancelled(String detail) {
        return new ApiException(503, "server_error", null, "generation_cancelled", detail, Map.of());
    }

    private static ApiException shuttingDown() {
        return new ApiException(503, "server_error", null, "server_shutting_down",
                "the server is shutting down and ended this generation; retry on another instance", Map.of("Retry-After", "5"));
    }

    /** Waits for every handle; true when the client went away (the handles are then cancelled). */
    private static boolean awaitAll(List<GenerationHandle> handles, BooleanSupplier clientGone) {
        return awaitAll(handles, clientGone, handles);
    }

    /** Waits for {@code waitFor}; when the client goes away, cancels {@code cancel} and returns true once they end. */
    private static boolean awaitAll(List<GenerationHandle> waitFor, BooleanSupplier clientGone, List<GenerationHandle> cancel) {
        boolean gone = false;
        for (GenerationHandle h : waitFor) {
            while (true) {
                try {
                    h.result().get(WATCH_MILLIS, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (!gone && clientGone.getAsBoolean()) {
                        gone = true;
                        cancel.forEach(GenerationHandle::cancel);
                    }
                } catch (ExecutionException e) {
                    break; // reported by await()
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    cancel.forEach(GenerationHandle::cancel);
                    return true;
                }
            }
        }
        return gone;
    }

    private static List<GenerationResult> results(List<GenerationHandle> handles) {
        List<GenerationResult> out = new ArrayList<>();
        for (GenerationHandle h : handles) out.add(h.await());
        return out;
    }

    private static List<GenerationHandle> submitAll(Model model, List<GenerationRequest> requests,
                                                    java.util.function.IntFunction<GenerationListener> listeners) {
        List<GenerationHandle> handles = new ArrayList<>();
        try {
            for (int i = 0; i < requests.size(); i++) handles.add(model.submit(requests.get(i), listeners.apply(i)));
            return handles;
        } catch (RuntimeException e) {
            handles.forEach(GenerationHandle::cancel);
            throw e;
        }
    }

    /** Each prompt's tokens count once (its n choices share it), as OpenAI counts them. */
    private static Usage total(List<GenerationResult> results, int n) {
        int prompt = 0;
        for (int i = 0; i < results.size(); i += n) prompt += results.get(i).usage().promptTokens();
        int completion = results.stream().mapToInt(r -> r.usage().completionTokens()).sum();
        return new Usage(prompt, completion);
    }

    private void record(Context ctx, Model model, List<GenerationResult> results) {
        Attempt.current().generated(model.name(), results);
        for (GenerationResult r : results) {
            log.add(new RequestLog.Entry(RequestIdOf.get(ctx), model.name(), r.finishReason(), r.usage(), r.timings()));
            LOG.debug("request {}: model {} finish {} usage {} | {}", RequestIdOf.get(ctx), model.name(), r.finishReason(), r.usage(), r.timings().summary());
            if (r.finishDetail() != null) LOG.info("request {}: model {} finished with {}: {}", RequestIdOf.get(ctx), model.name(), r.finishReason(), r.finishDetail());
        }
    }

    /**
     * One choice's stream: opens lazily, sends deltas with the log-probabilities gathered since the last one.
     * With output checks, each delta goes through them first: they may hold text back, redact it, or stop
     * the choice (its generation is cancelled and it ends with their finish reason).
     */
    private static final class ChoiceStream implements GenerationListener {
        private final int index;
        private final SseWriter sse;
        private final ResponseFormat format;
        private final ResponseFormat.Meta meta;
        private final ResponseFormat.ContentTemplate template;
        private final ToolStream tools;
        private final List<TokenLogprob> pending = new ArrayList<>();
        private final RequestGuard guard;
        private final StreamingOutputCheck check; // null: no output checks, the plain hot path
        private final StringBuilder sent = new StringBuilder();
        private volatile GenerationHandle handle;
        private volatile String stopped; // the finish reason of a check that stopped this choice
        private int[] promptIds = new int[0];
        private List<TokenLogprob> promptLogprobs = List.of();
        private boolean opened;

        ChoiceStream(int index, SseWriter sse, ResponseFormat format, ResponseFormat.Meta meta, RequestGuard guard) {
            this.index = index;
            this.sse = sse;
            this.format = format;
            this.meta = meta;
            this.template = format.contentTemplate(meta, index);
            this.tools = format.toolStream(meta, index, sse);
            this.guard = guard;
            this.check = guard.openStream();
        }

        void handle(GenerationHandle h) {
            handle = h;
            if (stopped != null) h.cancel();
        }

        boolean stoppedByGuard() {
            return stopped != null;
        }

        /** What this choice sent (for the business rules; kept only with output checks, else empty). */
        String sent() {
            return sent.toString();
        }

        @Override
        public void onPromptScored(int[] ids, List<TokenLogprob> lps) {
            promptIds = ids;
            promptLogprobs = lps;
        }

        @Override
        public void onText(String delta) {
            if (check != null) {
                if (stopped != null) return;
                OutputChunk c = check.accept(delta);
                if (!c.results().isEmpty()) guard.recordOutput(c.results());
                if (c.stopped()) stop(c.finishReason());
                delta = c.text();
                sent.append(delta);
                if (delta.isEmpty()) return;
            }
            open();
            if (tools != null) tools.text(delta); // log-probabilities are not streamed beside tool calls
            else if (pending.isEmpty()) sse.content(template, delta); // the per-token hot path
            else sse.event(format.chunk(meta, index, delta, drain(), null));
        }

        private void stop(String finishReason) {
            stopped = finishReason;
            GenerationHandle h = handle;
            if (h != null) h.cancel();
        }

        @Override
        public void onToken(int tokenId, TokenLogprob logprob) {
            if (tools != null) tools.token(tokenId);
            if (logprob != null) pending.add(logprob);
        }

        void finish(String finishReason, GenerationResult r) {
            if (!opened && !r.promptLogprobs().isEmpty()) onPromptScored(r.promptTokenIds(), r.promptLogprobs());
            open();
            if (check != null && stopped == null) { // release what the checks still hold
                OutputChunk c = check.finish();
                if (!c.results().isEmpty()) guard.recordOutput(c.results());
                if (c.stopped()) stopped = c.finishReason();
                sent.append(c.text());
                if (!c.text().isEmpty()) {
                    if (tools != null) tools.text(c.text());
                    else sse.event(format.chunk(meta, index, c.text(), drain(), null));
                }
            }
            if (stopped != null) finishReason = stopped;
            if (tools != null) finishReason = tools.finish(finishReason);
            sse.event(FinishReasons.chunkDetail(format.chunk(meta, index, "", drain(), finishReason), r.finishDetail()));
        }

        private void open() {
            if (opened) return;
            opened = true;
            var first = format.opening(meta, index, promptIds, promptLogprobs);
            if (first != null) sse.event(first);
        }

        private List<TokenLogprob> drain() {
            if (pending.isEmpty()) return List.of();
            List<TokenLogprob> out = List.copyOf(pending);
            pending.clear();
            return out;
        }
    }
}
