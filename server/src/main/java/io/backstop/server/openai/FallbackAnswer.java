package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Timings;
import io.backstop.engine.Usage;
import io.javalin.http.Context;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A route's fallback answer: a normal 200 completion — chat or text shape, whole or streamed, one
 * choice per choice asked for — whose text is the configured one and whose {@code finish_reason} is
 * {@code content_filter}. No model ran, so usage is zero and {@code X-Backstop-Provider} says
 * {@code guardrails}.
 */
final class FallbackAnswer {
    static final String CONTENT_FILTER = "content_filter";
    static final String PROVIDER = "guardrails";

    private FallbackAnswer() {}

    static void write(Context ctx, RoutedCompletion.Endpoint endpoint, RequestMapper.Common common, String model, String text, int choices) {
        ResponseFormat format = endpoint.chat() ? new ChatFormat(false, common.includeUsage(), null, ids -> List.of())
                : new TextFormat(false, null, common.n(), ids -> List.of(), common.includeUsage());
        ResponseFormat.Meta meta = new ResponseFormat.Meta(format.idPrefix() + UUID.randomUUID().toString().replace("-", ""),
                System.currentTimeMillis() / 1000, model, CompletionRunner.FINGERPRINT);
        ctx.header(RoutedCompletion.PROVIDER_HEADER, PROVIDER);
        ctx.header(RoutedCompletion.MODEL_HEADER, model);
        Usage none = new Usage(0, 0);
        if (!common.stream()) {
            List<GenerationResult> results = new ArrayList<>();
            for (int i = 0; i < choices; i++) results.add(new GenerationResult(text, new int[0], FinishReason.STOP, none, new Timings(0, 0, 0, 0, 0, 0), List.of()));
            ObjectNode body = format.response(meta, results, none);
            for (var c : body.withArray("choices")) ((ObjectNode) c).put("finish_reason", CONTENT_FILTER);
            ctx.contentType("application/json").result(Json.write(body));
            return;
        }
        SseWriter sse = new SseWriter(() -> {
            ctx.status(200);
            ctx.res().setContentType("text/event-stream; charset=utf-8");
            ctx.res().setHeader("Cache-Control", "no-cache");
            return ctx.res().getOutputStream();
        });
        try {
            for (int i = 0; i < choices; i++) {
                ObjectNode opening = format.opening(meta, i, new int[0], List.of());
                if (opening != null) sse.event(opening);
                sse.event(format.chunk(meta, i, text, List.of(), null));
                sse.event(format.chunk(meta, i, "", List.of(), CONTENT_FILTER));
            }
            if (common.includeUsage()) sse.event(format.usageChunk(meta, none));
            sse.done();
        } catch (UncheckedIOException clientGone) {
            // nothing to cancel: no model ran
        }
    }
}
