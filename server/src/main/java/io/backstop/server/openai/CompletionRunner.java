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
import io.backstop.server.http.RequestLog;
import io.backstop.server.route.Gate;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the n choices of a completion request and answers with one JSON object or an SSE stream. */
final class CompletionRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionRunner.class);
    static final String FINGERPRINT = "fp_backstop_0_1_0";

    private final RequestLog log;

    CompletionRunner(RequestLog log) {
        this.log = log;
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
        String id = RequestIdOf.get(ctx); // read now: a cancelled loser may finish after the response is complete
        if (common.stream()) stream(ctx, id, model, requests, format, common, meta, gate);
        else whole(ctx, id, model, requests, format, meta, gate);
    }

    private void whole(Context ctx, String id, Model model, List<GenerationRequest> requests, ResponseFormat format, ResponseFormat.Meta meta, Gate gate) {
        List<GenerationHandle> handles = submitAll(model, requests, i -> GenerationListener.NONE);
        gate.onCancel(() -> handles.forEach(GenerationHandle::cancel));
        List<GenerationResult> results = new ArrayList<>();
        for (GenerationHandle h : handles) results.add(h.await());
        record(id, model, results);
        if (!gate.enter()) return;
        if (results.stream().anyMatch(r -> r.finishReason() == FinishReason.CANCELLED)) {
            throw new ApiException(504, "server_error", null, "timeout", "generation exceeded the server's request timeout", Map.of());
        }
        ctx.contentType("application/json").result(Json.write(format.response(meta, results, total(results))));
    }

    private void stream(Context ctx, String id, Model model, List<GenerationRequest> requests, ResponseFormat format,
                        RequestMapper.Common common, ResponseFormat.Meta meta, Gate gate) {
        SseWriter sse = new SseWriter(() -> { // the response opens with the first event, if this target answers
            if (!gate.enter()) throw new IOException("another target answers this request");
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            ctx.res().setHeader("X-Accel-Buffering", "no"); // keep proxies from buffering tokens
            return ctx.res().getOutputStream();
        });
        List<ChoiceStream> choices = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) choices.add(new ChoiceStream(i, sse, format, meta));
        List<GenerationHandle> handles = submitAll(model, requests, choices::get);
        gate.onCancel(() -> handles.forEach(GenerationHandle::cancel));
        List<GenerationResult> results = new ArrayList<>();
        try {
            for (int i = 0; i < handles.size(); i++) {
                GenerationResult r;
                try {
                    r = handles.get(i).await();
                } catch (EngineException e) {
                    LOG.error("request {}: generation failed", id, e);
                    sse.event(Json.error(new ApiException(500, "server_error", null, "generation_failed",
                            "generation failed (request id " + id + ")", Map.of())));
                    sse.done();
                    return;
                }
                results.add(r);
                if (sse.isBroken()) break;
                if (r.finishReason() == FinishReason.CANCELLED) {
                    sse.event(Json.error(new ApiException(504, "server_error", null, "timeout",
                            "generation exceeded the server's request timeout", Map.of())));
                    sse.done();
                    return;
                }
                choices.get(i).finish(FinishReasons.of(r.finishReason()));
            }
            if (!sse.isBroken()) {
                if (common.includeUsage()) sse.event(format.usageChunk(meta, total(results)));
                sse.done();
            }
        } catch (UncheckedIOException clientGone) {
            LOG.debug("request {}: client disconnected", id);
        } finally {
            if (sse.isBroken()) handles.forEach(GenerationHandle::cancel);
            for (int i = results.size(); i < handles.size(); i++) {
                try {
                    results.add(handles.get(i).await());
                } catch (EngineException ignored) {
                    // already reported or the client is gone
                }
            }
            record(id, model, results);
        }
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

    private static Usage total(List<GenerationResult> results) {
        int prompt = results.isEmpty() ? 0 : results.get(0).usage().promptTokens();
        int completion = results.stream().mapToInt(r -> r.usage().completionTokens()).sum();
        return new Usage(prompt, completion);
    }

    private void record(String id, Model model, List<GenerationResult> results) {
        for (GenerationResult r : results) {
            log.add(new RequestLog.Entry(id, model.name(), r.finishReason(), r.usage(), r.timings()));
            LOG.debug("request {}: model {} finish {} usage {} | {}", id, model.name(), r.finishReason(), r.usage(), r.timings().summary());
        }
    }

    /** One choice's stream: opens lazily, sends deltas with the log-probabilities gathered since the last one. */
    private static final class ChoiceStream implements GenerationListener {
        private final int index;
        private final SseWriter sse;
        private final ResponseFormat format;
        private final ResponseFormat.Meta meta;
        private final ResponseFormat.ContentTemplate template;
        private final List<TokenLogprob> pending = new ArrayList<>();
        private boolean opened;

        ChoiceStream(int index, SseWriter sse, ResponseFormat format, ResponseFormat.Meta meta) {
            this.index = index;
            this.sse = sse;
            this.format = format;
            this.meta = meta;
            this.template = format.contentTemplate(meta, index);
        }

        @Override
        public void onText(String delta) {
            open();
            if (pending.isEmpty()) sse.content(template, delta); // the per-token hot path
            else sse.event(format.chunk(meta, index, delta, drain(), null));
        }

        @Override
        public void onToken(int tokenId, TokenLogprob logprob) {
            if (logprob != null) pending.add(logprob);
        }

        void finish(String finishReason) {
            open();
            sse.event(format.chunk(meta, index, "", drain(), finishReason));
        }

        private void open() {
            if (opened) return;
            opened = true;
            var first = format.opening(meta, index);
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
