package io.backstop.engine.generate;

import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Timings;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.InferenceSession;
import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.sampling.Logprobs;
import io.backstop.engine.sampling.Sampler;
import io.backstop.engine.sampling.TokenConstraint;
import io.backstop.engine.sampling.TokenHistory;
import io.backstop.engine.text.Detokenizer;
import io.backstop.engine.text.StopMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Our generation loop over a backend's forward pass: prefill, then sample → stop checks → decode,
 * one token at a time. It owns sampling, output constraints, stop tokens and strings, UTF-8 assembly,
 * max_tokens, the context limit, cancellation and timings, so every backend behaves the same.
 *
 * <p>With a constraint, the mask comes after bias and penalties; a sampled token that would leave the
 * document unable to finish within the remaining budget is replaced by a draw among those that can
 * (or, when none can, among those that bring its end nearest), and generation stops (finish reason stop) as soon as the document is complete and nothing may
 * follow, or when the budget ends on a complete document.
 */
public final class GenerationLoop {
    /** Prompt chunk size: large enough for batched prefill, small enough to notice a cancel quickly. */
    static final int PREFILL_CHUNK = 255;

    private final BackendModel model;

    public GenerationLoop(BackendModel model) {
        this.model = model;
    }

    /**
     * @param prompt    prompt token ids (BOS included when the model uses it), already checked to fit
     * @param constraint null, or the request's own constraint (a fresh matcher)
     * @param cancelled polled between tokens; true ends the generation as {@code cancelled}
     * @param deadlineNanos {@link System#nanoTime()} after which the request is cancelled, or Long.MAX_VALUE
     */
    public GenerationResult run(GenerationRequest request, int[] prompt, TokenConstraint constraint, GenerationListener listener,
                                BooleanSupplier cancelled, long deadlineNanos, long queuedNanos) {
        Vocabulary vocab = model.vocabulary();
        int vocabSize = model.info().vocabSize();
        float[] logits = new float[vocabSize];
        Integer topLogprobs = request.logprobs();
        float[] raw = topLogprobs != null ? new float[vocabSize] : null;
        List<TokenLogprob> logprobs = topLogprobs != null ? new ArrayList<>() : List.of();
        Integer promptTop = request.promptLogprobs();
        List<TokenLogprob> promptLogprobs = promptTop != null ? new ArrayList<>() : List.of();
        if (promptTop != null) promptLogprobs.add(null); // nothing precedes the first prompt token
        long[] mask = constraint != null ? new long[(vocabSize + 63) >>> 6] : null;

        TokenHistory history = new TokenHistory(vocabSize);
        history.addPrompt(prompt);
        long seed = request.sampling().seed() != null ? request.sampling().seed() : ThreadLocalRandom.current().nextLong();
        Sampler sampler = new Sampler(request.sampling(), vocabSize, seed);
        Detokenizer detokenizer = new Detokenizer(vocab, !hasText(vocab, prompt));
        StopMatcher stops = new StopMatcher(request.stop());
        Set<Integer> eos = model.eosTokenIds();
        Set<Integer> stopIds = request.stopTokenIds();

        int budget = model.maxPositions() - prompt.length + 1;
        if (request.maxTokens() != null) budget = Math.min(budget, request.maxTokens());

        StringBuilder text = new StringBuilder();
        int[] ids = new int[Math.max(1, Math.min(budget, 1024))];
        int generated = 0;
        FinishReason finish = null;
        long start = System.nanoTime();
        long prefillEnd = start, firstToken = 0, lastToken = 0;

        try (InferenceSession session = model.openSession()) {
            for (int off = 0; off < prompt.length && finish == null; off += PREFILL_CHUNK) {
                if (cancelled.getAsBoolean() || System.nanoTime() > deadlineNanos) {
                    finish = FinishReason.CANCELLED;
                    break;
                }
                int end = Math.min(prompt.length, off + PREFILL_CHUNK);
                int[] chunk = Arrays.copyOfRange(prompt, off, end);
                if (promptTop == null) {
                    session.prefill(chunk, end == prompt.length ? logits : null);
                } else {
                    int base = off; // the logits after token i score token i + 1
                    session.prefillScored(chunk, logits, (i, l) -> {
                        int next = base + i + 1;
                        if (next < prompt.length) promptLogprobs.add(Logprobs.of(l, prompt[next], promptTop, vocab::bytes));
                    });
                }
            }
            prefillEnd = System.nanoTime();
            if (promptTop != null && finish == null) {
                try {
                    listener.onPromptScored(prompt.clone(), Collections.unmodifiableList(promptLogprobs));
                } catch (RuntimeException listenerFailed) {
                    finish = FinishReason.CANCELLED; // the consumer is gone
                }
            }
            if (finish == null && budget <= 0) finish = FinishReason.LENGTH; // max_tokens 0: the prompt is only scored
            if (finish == null && constraint != null && constraint.isDone()) finish = FinishReason.STOP; // the grammar allows only ""
            while (finish == null) {
                if (raw != null) System.arraycopy(logits, 0, raw, 0, vocabSize);
                sampler.prepare(logits, history);
                int token;
                if (constraint == null) token = sampler.pick(logits, null, 0);
                else if (constraint.isFree()) {
                    token = sampler.pick(logits, null, 0);
                    constraint.accept(token);
                } else {
                    token = sampler.pick(logits, mask, constraint.fillMask(mask));
                    int after = budget - generated - 1;
                    if (!constraint.fits(token, after)) {
                        int within = constraint.fillMaskWithin(mask, after);
                        // distances are in bytes, the budget in tokens: when no token keeps the document within
                        // `after` bytes (the budget was short from the start), draw among those that shorten it most
                        if (within == 0) within = nearestEnd(constraint, mask, after);
                        if (within > 0) token = sampler.pick(logits, mask, within);
                    }
                    constraint.accept(token);
                }
                lastToken = System.nanoTime();
                if (generated == 0) firstToken = lastToken;
                if (generated == ids.length) ids = Arrays.copyOf(ids, ids.length * 2);
                ids[generated++] = token;
                history.addGenerated(token);
                TokenLogprob lp = raw != null ? Logprobs.of(raw, token, topLogprobs, vocab::bytes) : null;
                if (lp != null) logprobs.add(lp);
                try {
                    listener.onToken(token, lp);
                    if (eos.contains(token) || stopIds.contains(token)) {
                        finish = FinishReason.STOP;
                        break;
                    }
                    StopMatcher.Step step = stops.feed(detokenizer.next(token));
                    emit(listener, text, step.emit());
                    if (step.stopped()) {
                        finish = FinishReason.STOP;
                        break;
                    }
                } catch (RuntimeException listenerFailed) {
                    // The consumer is gone (e.g. a closed connection): stop generating for it.
                    finish = FinishReason.CANCELLED;
                    break;
                }
                if (constraint != null && constraint.isDone()) finish = FinishReason.STOP;
                else if (generated >= budget) finish = constraint != null && constraint.isComplete() ? FinishReason.STOP : FinishReason.LENGTH;
                else if (cancelled.getAsBoolean() || System.nanoTime() > deadlineNanos) finish = FinishReason.CANCELLED;
                else session.decode(token, logits);
            }
        }
        if (finish != FinishReason.STOP || !stops.isStopped()) {
            try {
                StopMatcher.Step tail = stops.feed(detokenizer.flush());
                emit(listener, text, tail.emit());
                if (tail.stopped()) finish = FinishReason.STOP;
                else emit(listener, text, stops.flush());
            } catch (RuntimeException ignored) {
                // consumer gone while flushing; the result below still carries the full text
            }
        }
        Timings timings = new Timings(queuedNanos, firstToken == 0 ? 0 : firstToken - start, prefillEnd - start,
                prompt.length, generated > 1 ? lastToken - firstToken : 0, Math.max(0, generated - 1));
        return new GenerationResult(text.toString(), Arrays.copyOf(ids, generated), finish,
                new Usage(prompt.length, generated), timings, logprobs, prompt.clone(), Collections.unmodifiableList(promptLogprobs));
    }

    private static void emit(GenerationListener listener, StringBuilder text, String delta) {
        if (delta.isEmpty()) return;
        text.append(delta);
        listener.onText(delta);
    }

    private static boolean hasText(Vocabulary vocab, int[] tokens) {
        for (int t : tokens) if (!vocab.isSpecial(t)) return true;
        return false;
    }

    /**
     * Masks the tokens after which the document's end is nearest (fewest bytes), when none ends it within
     * {@code after}: the smallest such distance is found by doubling, then bisecting. Runs only when the
     * budget is short, so its few extra trie walks cost nothing on the usual path.
     */
    static int nearestEnd(TokenConstraint constraint, long[] mask, int after) {
        int low = after, high = -1; // no token within `low`; some within `high`
        for (int slack = 1; slack > 0 && slack <= (1 << 20); slack <<= 1) {
            if (constraint.fillMaskWithin(mask, after + slack) > 0) {
                high = after + slack;
                break;
            }
            low = after + slack;
        }
        if (high < 0) return 0;
        while (high - low > 1) {
            int mid = low + (high - low) / 2;
            if (constraint.fillMaskWithin(mask, mid) > 0) high = mid;
            else low = mid;
        }
        return constraint.fillMaskWithin(mask, high);
    }
}
