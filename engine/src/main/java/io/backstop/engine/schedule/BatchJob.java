package io.backstop.engine.schedule;

import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.generate.Generation;

/** A generation waiting for, or running in, a {@link BatchScheduler}. */
public interface BatchJob {
    int[] prompt();

    /** Whether it wants the logits of every prompt position (prompt logprobs): its prompt then runs whole, not from the prefix cache. */
    boolean scoresPrompt();

    /** The client's listener; the scheduler calls it from a thread of the stream's own. */
    GenerationListener listener();

    /** On the step thread at admission: the generation, telling {@code sink} (not the listener) what it produces. */
    Generation start(GenerationListener sink);

    /** The result, after every event of the stream was delivered. */
    void completed(GenerationResult result);

    void failed(Throwable error);
}
