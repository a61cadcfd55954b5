package io.backstop.server.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import io.backstop.server.guard.AnswerRejected;
import io.backstop.server.guard.RequestGuard;
import java.util.ArrayList;
import java.util.List;

/**
 * The output checks of a local model's whole answer, run before the answer passes the route's gate: a
 * choice whose JSON does not match the requested schema rejects the answer (the next target answers),
 * and the others come back as the client gets them, with the finish reasons the checks imposed. A choice
 * that calls tools is not held to the requested JSON (as a remote answer's tool calls are not).
 */
final class GuardedAnswers {
    /** The choices after the checks; {@code finishReasons[i]} null keeps the model's own. */
    record Checked(List<GenerationResult> results, String[] finishReasons) {
        /** Writes the imposed finish reasons into a response made by a {@link ResponseFormat}. */
        void patch(ObjectNode body) {
            var choices = body.withArray("choices");
            for (int i = 0; i < finishReasons.length && i < choices.size(); i++) {
                if (finishReasons[i] != null) ((ObjectNode) choices.get(i)).put("finish_reason", finishReasons[i]);
            }
        }

        String finishReason(int i, String own) {
            return finishReasons[i] != null ? finishReasons[i] : own;
        }
    }

    private GuardedAnswers() {}

    /** @throws AnswerRejected when a choice is not the JSON the request asked for */
    static Checked check(RequestGuard guard, List<GenerationResult> results, ResponseFormat format, String target) {
        String[] finish = new String[results.size()];
        if (!guard.checksOutput() && !guard.validatesJson()) return new Checked(results, finish);
        List<GenerationResult> out = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            RequestGuard.Checked c = guard.check(r.text(), !format.callsTools(r)); // a tool call is not the answer's JSON
            if (!c.valid()) throw new AnswerRejected(target, c.violations());
            finish[i] = c.finishReason();
            out.add(c.text().equals(r.text()) ? r
                    : new GenerationResult(c.text(), r.tokenIds(), r.finishReason(), r.usage(), r.timings(), r.logprobs(), r.promptTokenIds(), r.promptLogprobs()));
        }
        return new Checked(out, finish);
    }

    /** The whole answer as a stream (a stream held back until it was validated): each choice as one chunk. */
    static void replay(SseWriter sse, ResponseFormat format, ResponseFormat.Meta meta, Checked checked, Usage usage, boolean includeUsage) {
        for (int i = 0; i < checked.results().size(); i++) {
            GenerationResult r = checked.results().get(i);
            ObjectNode opening = format.opening(meta, i, r.promptTokenIds(), r.promptLogprobs());
            if (opening != null) sse.event(opening);
            List<TokenLogprob> lps = r.logprobs();
            if (!r.text().isEmpty() || !lps.isEmpty()) sse.event(format.chunk(meta, i, r.text(), lps, null));
            sse.event(FinishReasons.chunkDetail(format.chunk(meta, i, "", List.of(), checked.finishReason(i, FinishReasons.of(r.finishReason()))), r.finishDetail()));
        }
        if (includeUsage) sse.event(format.usageChunk(meta, usage));
        sse.done();
    }

    /** The choices' texts for the business rules, one paragraph each. */
    static String texts(List<GenerationResult> results) {
        return String.join("\n\n", results.stream().map(GenerationResult::text).toList());
    }
}
