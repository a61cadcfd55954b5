package io.backstop.engine.schedule;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Carries the submitting thread's context (a trace span, a logging context) to the thread that runs
 * a scheduled task. The engine knows no tracing library: the server installs a wrapper (OpenTelemetry's
 * {@code Context.current().wrap}); it runs once per submitted task, on the submitting thread, never per
 * token. Process-wide, like the tracing it serves; the default wraps nothing.
 */
public final class TaskContext {
    private static volatile UnaryOperator<Runnable> wrapper = UnaryOperator.identity();

    private TaskContext() {}

    /** Installs the wrapper every scheduler applies to the tasks submitted from now on. */
    public static void install(UnaryOperator<Runnable> w) {
        wrapper = Objects.requireNonNull(w);
    }

    /** The task, bound to the caller's context. */
    public static Runnable capture(Runnable task) {
        return wrapper.apply(task);
    }
}
