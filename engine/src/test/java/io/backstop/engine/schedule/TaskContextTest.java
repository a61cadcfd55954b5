package io.backstop.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TaskContextTest {
    private static final ThreadLocal<String> TRACE = new ThreadLocal<>();

    @AfterEach
    void uninstall() {
        TaskContext.install(UnaryOperator.identity());
    }

    @Test
    void theSubmittersContextIsCurrentOnTheSchedulersThread() throws Exception {
        // what a tracing library's wrap does: capture on the submitting thread, restore on the running one
        TaskContext.install(task -> {
            String captured = TRACE.get();
            return () -> {
                TRACE.set(captured);
                try {
                    task.run();
                } finally {
                    TRACE.remove();
                }
            };
        });
        try (Scheduler s = new Scheduler("t", 1, 1)) {
            CompletableFuture<String> seen = new CompletableFuture<>();
            TRACE.set("trace-42");
            try {
                s.submit(release -> seen.complete(Thread.currentThread().getName() + "|" + TRACE.get()));
            } finally {
                TRACE.remove();
            }
            assertThat(seen.get(30, TimeUnit.SECONDS)).startsWith("backstop-t-").endsWith("|trace-42");
        }
    }

    @Test
    void aWrappedTaskCanStillBeWithdrawnWhileQueued() throws Exception {
        TaskContext.install(task -> () -> task.run()); // a new object: the queue holds the wrapper
        try (Scheduler s = new Scheduler("t", 1, 1)) {
            CompletableFuture<Void> started = new CompletableFuture<>();
            CompletableFuture<Void> hold = new CompletableFuture<>();
            s.submit(release -> {
                started.complete(null);
                hold.join();
            });
            started.get(30, TimeUnit.SECONDS);
            Scheduler.Ticket queued = s.submit(release -> {});
            assertThat(s.waiting()).isEqualTo(1);
            assertThat(queued.withdraw()).isTrue(); // the wrapped job is the one in the queue
            assertThat(s.waiting()).isZero();
            hold.complete(null);
        }
    }
}
