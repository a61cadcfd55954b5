package io.backstop.engine.generate;

import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.InferenceSession;
import io.backstop.engine.sampling.TokenConstraint;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A generation on a session of its own: prefill in chunks, then sample → stop checks → decode, one token
 * at a time. The per-token rules live in {@link Generation}; batched schedules drive the same class.
 */
public final class GenerationLoop {
    /** Prompt chunk size: large enough for batched prefill, small enough to notice a cancel quickly. */
    static final int PREFILL_CHUNK = 255;

    private final BackendModel model;

    public GenerationLoop(BackendModel model) {
        this.model = model;
    }

    /** See {@link Generation#Generation} for the parameters. */
    public GenerationResult run(GenerationRequest request, int[] prompt, TokenConstraint constraint, GenerationListener listener,
                                BooleanSupplier cancelled, long deadlineNanos, long queuedNanos) {
        Generation g = new Generation(model, request, prompt, constraint, listener, cancelled, deadlineNanos, queuedNanos);
        float[] logits = g.logits();
        try (InferenceSession session = model.openSession()) {
            for (int off = 0; off < prompt.length; off += PREFILL_CHUNK) {
                if (g.interrupted()) {
                    g.end(FinishReason.CANCELLED, null);
                    break;
                }
                int end = Math.min(prompt.length, off + PREFILL_CHUNK);
                int[] chunk = Arrays.copyOfRange(prompt, off, end);
                if (!g.scoresPrompt()) {
                    session.prefill(chunk, end == prompt.length ? logits : null);
                } else {
                    int base = off; // the logits after token i score token i + 1
                    session.prefillScored(chunk, logits, (i, l) -> g.promptLogits(base + i, l));
                }
            }
            if (g.promptDone()) {
                while (g.next(logits)) session.decode(g.lastToken(), logits);
            }
        }
        return g.result();
    }
}
