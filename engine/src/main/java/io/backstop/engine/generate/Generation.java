package io.backstop.engine.generate;

import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Timings;
import io.backstop.engine.TokenLogprob;
import io.backstop.engine.Usage;
import io.backstop.engine.backend.BackendModel;
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
 * One sequence's generation, whatever drives the forward passes (a session of its own, or a batch
 * step shared with other sequences): it takes the logits after each token and owns sampling, output
 * constraints, stop tokens and strings, UTF-8 assembly, max_tokens, the context limit, cancellation,
 * logprobs and timings, so every backend and every schedule behaves the same.
 *
 * <p>With a constraint, the mask comes after bias and penalties; a sampled token that would leave the
 * document unable to finish within the remaining budget is replaced by a draw among those that can,
 * and generation stops (finish reason stop) as soon as the document is complete and nothing may
 * follow, or when the budget ends on a complete document.
 *
 * <p>Use: {@link #promptLogits} for each prompt position when {@link #scoresPrompt}, then
 * {@link #promptDone}; then {@link #next} with the logits after each token until it returns false.
 * Allocates nothing per token beyond what the listener and logprobs need.
 */
public final class Generation {
    private final Vocabulary vocab;
    private final int vocabSize;
    private final int[] prompt;
    private final TokenConstraint constraint;
    private final GenerationListener listener;
    private final BooleanSupplier cancelled;
    private final long deadlineNanos;
    private final long queuedNanos;
    private final float[] logits;
    private final Integer topLogprobs;
    private final float[] raw;
    private final List<TokenLogprob> logprobs;
    private final Integer promptTop;
    private final List<TokenLogprob> promptLogprobs;
    private final long[] mask;
    private final TokenHistory history;
    private final Sampler sampler;
    private final Detokenizer detokenizer;
    private final StopMatcher stops;
    private final Set<Integer> eos;
    private final Set<Integer> stopIds;
    private final int budget;
    private final StringBuilder text = new StringBuilder();
    private int[] ids;
    private int generated;
    private FinishReason finish;
    private String finishDetail;
    private final long start;
    private long prefillEnd, firstToken, lastToken;

    /**
     * @param prompt    prompt token ids (BOS included when the model uses it), already checked to fit
     * @param constraint null, or the request's own constraint (a fresh matcher)
     * @param cancelled polled between tokens; true ends the generation as {@code cancelled}
     * @param deadlineNanos {@link System#nanoTime()} after which the request is cancelled, or Long.MAX_VALUE
     */
    public Generation(BackendModel model, GenerationRequest request, int[] prompt, TokenConstraint constraint, GenerationListener listener,
                      BooleanSupplier cancelled, long deadlineNanos, long queuedNanos) {
        this.vocab = model.vocabulary();
        this.vocabSize = model.info().vocabSize();
        this.prompt = prompt;
        this.constraint = constraint;
        this.listener = listener;
        this.cancelled = cancelled;
        this.deadlineNanos = deadlineNanos;
        this.queuedNanos = queuedNanos;
        this.logits = new float[vocabSize];
        this.topLogprobs = request.logprobs();
        this.raw = topLogprobs != null ? new float[vocabSize] : null;
        this.logprobs = topLogprobs != null ? new ArrayList<>() : List.of();
        this.promptTop = request.promptLogprobs();
        this.promptLogprobs = promptTop != null ? new ArrayList<>() : List.of();
        if (promptTop != null) promptLogprobs.add(null); // nothing precedes the first prompt token
        this.mask = constraint != null ? new long[(vocabSize + 63) >>> 6] : null;
        this.history = new TokenHistory(vocabSize);
        history.addPrompt(prompt);
        long seed = request.sampling().seed() != null ? request.sampling().seed() : ThreadLocalRandom.current().nextLong();
        this.sampler = new Sampler(request.sampling(), vocabSize, seed);
        this.detokenizer = new Detokenizer(vocab, !hasText(vocab, prompt));
        this.stops = new StopMatcher(request.stop());
        this.eos = model.eosTokenIds();
        this.stopIds = request.stopTokenIds();
        int b = model.maxPositions() - prompt.length + 1;
        if (request.maxTokens() != null) b = Math.min(b, request.maxTokens());
        this.budget = b;
        this.ids = new int[Math.max(1, Math.min(budget, 1024))];
        this.start = System.nanoTime();
        this.prefillEnd = start;
    }

    /** The logits buffer of this sequence: a driver may write the logits there and call {@link #next} with it. */
    public float[] logits() {
        return logits;
    }

    public int[] prompt() {
        return prompt;
    }

    /** Whether the request wants the logits after every prompt token (prompt logprobs). */
    public boolean scoresPrompt() {
        return promptTop != null;
    }

    /** The logits after prompt token {@code index} (they score token index + 1). */
    public void promptLogits(int index, float[] l) {
        int next = index + 1;
        if (next < prompt.length) promptLogprobs.add(Logprobs.of(l, prompt[next], promptTop, vocab::bytes));
    }

    /** True when the caller cancelled or the deadline passed: the driver should {@link #end} the generation. */
    public boolean interrupted() {
        return cancelled.getAsBoolean() || System.nanoTime() > deadlineNanos;
    }

    /** Ends the generation now (cancelled, or out of memory) with a reason for the logs. */
    public void end(FinishReason reason, String detail) {
        if (finish == null) {
            finish = reason;
            finishDetail = detail;
        }
    }

    public boolean finished() {
        return finish != null;
    }

    /** The prompt is in; false when generation already ends here (cancelled, max_tokens 0, an empty grammar). */
    public boolean promptDone() {
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
        return finish == null;
    }

    /**
     * Picks the next token from the logits after the last one (they are modified), tells the listener,
     * and checks every end condition; true when the token must be run to continue ({@link #lastToken}).
     */
    public boolean next(float[] in) {
        if (finish != null) return false;
        if (raw != null) System.arraycopy(in, 0, raw, 0, vocabSize);
        sampler.prepare(in, history);
        int token;
        if (constraint == null) token = sampler.pick(in, null, 0);
        else {
            token = sampler.pick(in, mask, constraint.fillMask(mask));
            int after = budget - generated - 1;
            if (!constraint.fits(token, after)) {
                int within = constraint.fillMaskWithin(mask, after);
                if (within > 0) token = sampler.pick(in, mask, within);
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
                return false;
            }
            StopMatcher.Step step = stops.feed(detokenizer.next(token));
            emit(step.emit());
            if (step.stopped()) {
                finish = FinishReason.STOP;
                return false;
            }
        } catch (RuntimeException listenerFailed) {
            // The consumer is gone (e.g. a closed connection): stop generating for it.
            finish = FinishReason.CANCELLED;
            return false;
        }
        if (constraint != null && constraint.isDone()) finish = FinishReason.STOP;
        else if (generated >= budget) finish = constraint != null && constraint.isComplete() ? FinishReason.STOP : FinishReason.LENGTH;
        else if (interrupted()) finish = FinishReason.CANCELLED;
        return finish == null;
    }

    /** The token picked by the last {@link #next}. */
    public int lastToken() {
        return ids[generated - 1];
    }

    /** Tokens generated so far. */
    public int generated() {
        return generated;
    }

    /** Flushes held-back text to the listener and builds the result; call once, after the generation finished. */
    public GenerationResult result() {
        if (finish == null) throw new IllegalStateException("generation still running");
        if (finish != FinishReason.STOP || !stops.isStopped()) {
            try {
                StopMatcher.Step tail = stops.feed(detokenizer.flush());
                emit(tail.emit());
                if (tail.stopped()) finish = FinishReason.STOP;
                else emit(stops.flush());
            } catch (RuntimeException ignored) {
                // consumer gone while flushing; the result below still carries the full text
            }
        }
        Timings timings = new Timings(queuedNanos, firstToken == 0 ? 0 : firstToken - start, prefillEnd - start,
                prompt.length, generated > 1 ? lastToken - firstToken : 0, Math.max(0, generated - 1));
        return new GenerationResult(text.toString(), Arrays.copyOf(ids, generated), finish,
                new Usage(prompt.length, generated), timings, logprobs, prompt.clone(), Collections.unmodifiableList(promptLogprobs), finishDetail);
    }

    private void emit(String delta) {
        if (delta.isEmpty()) return;
        text.append(delta);
        listener.onText(delta);
    }

    private static boolean hasText(Vocabulary vocab, int[] tokens) {
        for (int t : tokens) if (!vocab.isSpecial(t)) return true;
        return false;
    }
}
