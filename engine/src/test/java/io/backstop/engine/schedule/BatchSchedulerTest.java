package io.backstop.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.Engine;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.Model;
import io.backstop.engine.QueueFullException;
import io.backstop.engine.TestModels;
import io.backstop.engine.backend.BatchRunner;
import io.backstop.engine.backend.StepBatch;
import io.backstop.engine.generate.Generation;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The step loop itself, on the real native runner of stories260K, with a small stream buffer. */
class BatchSchedulerTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Engine.load(Path.of(TestModels.shared().toString(), "models/stories260K/gguf/stories260K-f32.gguf"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static BatchScheduler scheduler(int maxRunning, int queue, int streamBuffer) {
        return new BatchScheduler("test", model.backend().batchRunner(maxRunning, 16, 1 << 24), maxRunning, queue, 16, streamBuffer);
    }

    /** A job whose generation polls {@code cancelled} between tokens, on the step thread. */
    record Job(GenerationRequest request, GenerationListener listener, BooleanSupplier cancelled, CompletableFuture<GenerationResult> result) implements BatchJob {
        Job(GenerationRequest request, GenerationListener listener, BooleanSupplier cancelled) {
            this(request, listener, cancelled, new CompletableFuture<>());
        }

        @Override
        public int[] prompt() {
            return model.tokenize(((io.backstop.engine.Prompt.Text) request.prompt()).text(), true);
        }

        @Override
        public boolean scoresPrompt() {
            return false;
        }

        @Override
        public Generation start(GenerationListener sink) {
            return new Generation(model.backend(), request, prompt(), null, sink, cancelled, Long.MAX_VALUE, 0);
        }

        @Override
        public void completed(GenerationResult r) {
            result.complete(r);
        }

        @Override
        public void failed(Throwable error) {
            result.completeExceptionally(error);
        }
    }

    @Test
    void aClientThatDoesNotKeepUpIsCancelledWithoutHoldingTheBatch() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (BatchScheduler s = scheduler(4, 4, 8)) {
            Job stuck = new Job(GenerationRequest.text("Once upon a time").greedy().maxTokens(300).build(), delta -> {
                try {
                    release.await(); // a client that stopped reading
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, () -> false);
            // at most 7 events (3 tokens, their text, a flush): it fits the buffer however late its thread runs
            Job other = new Job(GenerationRequest.text("Lily").greedy().maxTokens(3).build(), GenerationListener.NONE, () -> false);
            s.submit(stuck);
            s.submit(other);
            GenerationResult done = other.result().get(); // finished while the stuck listener still blocks
            assertThat(done.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(done.tokenIds()).hasSize(3);
            // the other job may finish before the stuck one's buffer fills: release the client only once
            // the scheduler has cut it off (a state, not a time), else it could catch up and run to LENGTH
            while (s.stats().slowClientsCancelled() == 0) Thread.sleep(1);
            release.countDown();
            GenerationResult r = stuck.result().get();
            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.finishDetail()).startsWith("the client did not keep up with the stream (8 events waiting)");
            assertThat(s.stats().slowClientsCancelled()).isEqualTo(1);
        }
    }

    @Test
    void beyondTheRunningAndWaitingPlacesSubmitIsRefusedAtOnce() throws Exception {
        CountDownLatch holding = new CountDownLatch(1), release = new CountDownLatch(1);
        try (BatchScheduler s = scheduler(1, 1, 64)) {
            BooleanSupplier hold = () -> { // polled on the step thread: holds the batch while the test submits
                holding.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return false;
            };
            Job running = new Job(GenerationRequest.text("Once").greedy().maxTokens(3).build(), GenerationListener.NONE, hold);
            s.submit(running);
            holding.await();
            assertThat(s.stats().running()).isEqualTo(1);
            Job queued = new Job(GenerationRequest.text("Lily").greedy().maxTokens(3).build(), GenerationListener.NONE, () -> false);
            BatchScheduler.Ticket ticket = s.submit(queued);
            assertThat(s.stats().waiting()).isEqualTo(1);
            assertThatThrownBy(() -> s.submit(new Job(GenerationRequest.text("Tom").build(), GenerationListener.NONE, () -> false)))
                    .isInstanceOf(QueueFullException.class);
            assertThat(ticket.withdraw()).isTrue(); // a waiting job leaves the queue at once
            assertThat(s.stats().waiting()).isZero();
            release.countDown();
            assertThat(running.result().get().tokenIds()).hasSize(3);
            assertThat(queued.result()).isNotDone();
        }
    }

    @Test
    void theStatsSplitTheStepThreadsBusyTimeIntoForwardPassesAndItsOwnWork() throws Exception {
        AtomicLong clock = new AtomicLong();
        // the clock moves only in a forward pass (1,000 per step) and when a sequence opens (7): what the step
        // thread does between them (batching, sampling, hand-off) takes no time on it
        BatchRunner runner = new Ticking(model.backend().batchRunner(2, 16, 1 << 24), clock, 1_000, 7);
        BatchScheduler s = new BatchScheduler("test", runner, 2, 2, 16, 64, clock::get, 0);
        SchedulerStats stats;
        try (s) {
            clock.addAndGet(1_000_000); // time before any work (the step thread reads the clock only once it has some)
            Job a = new Job(GenerationRequest.text("Once upon a time").greedy().maxTokens(4).build(), GenerationListener.NONE, () -> false);
            s.submit(a);
            assertThat(a.result().get().tokenIds()).hasSize(4);
            Job b = new Job(GenerationRequest.text("Lily").greedy().maxTokens(2).build(), GenerationListener.NONE, () -> false);
            s.submit(b);
            assertThat(b.result().get().tokenIds()).hasSize(2);
        } // closing joins the step thread: every count is in
        stats = s.stats();
        assertThat(stats.steps()).isGreaterThanOrEqualTo(4 + 2 - 2); // a prompt step gives each its first token
        assertThat(stats.forwardNanos()).isEqualTo(1_000 * stats.steps());
        assertThat(stats.busyNanos()).isEqualTo(stats.forwardNanos() + 2 * 7);
    }

    @Test
    void requestsThatFindTheStepThreadIdleWaitForOthersWithinTheGatheringWindowAndStartInOneStep() throws Exception {
        AtomicLong clock = new AtomicLong();
        List<Integer> rows = new CopyOnWriteArrayList<>();
        BatchRunner runner = recording(model.backend().batchRunner(2, 16, 1 << 24), clock, rows);
        try (BatchScheduler s = new BatchScheduler("test", runner, 2, 2, 16, 64, clock::get, 1_000)) {
            Job a = new Job(GenerationRequest.text("Lily").greedy().maxTokens(2).build(), GenerationListener.NONE, () -> false);
            Job b = new Job(GenerationRequest.text("Tom").greedy().maxTokens(2).build(), GenerationListener.NONE, () -> false);
            s.submit(a);
            // the window is open as long as the test's clock stands still: a waits for a second request
            assertThat(s.stats().steps()).isZero();
            s.submit(b);
            a.result().get();
            b.result().get();
            int promptA = model.tokenize("Lily", true).length, promptB = model.tokenize("Tom", true).length;
            assertThat(rows.get(0)).as("both prompts in the first step").isEqualTo(promptA + promptB);
            // max_in_flight are waiting: no window to wait out. A lone request starts once the window has passed
            Job c = new Job(GenerationRequest.text("Sue").greedy().maxTokens(1).build(), GenerationListener.NONE, () -> false);
            s.submit(c);
            while (s.stats().waiting() == 1 && !c.result().isDone()) {
                clock.addAndGet(100); // the step thread looks at the clock at least every millisecond
                Thread.sleep(1);
            }
            assertThat(c.result().get().tokenIds()).hasSize(1);
        }
    }

    @Test
    void aLoneClientsNextRequestStartsWithoutWaitingOutTheWindow() throws Exception {
        AtomicLong clock = new AtomicLong(); // stands still: a request that waited for the window would never start
        try (BatchScheduler s = new BatchScheduler("test", new Ticking(model.backend().batchRunner(2, 16, 1 << 24), clock, 0, 0), 2, 2, 16, 64,
                clock::get, 1_000)) {
            Job first = new Job(GenerationRequest.text("Lily").greedy().maxTokens(2).build(), GenerationListener.NONE, () -> false);
            s.submit(first);
            while (!first.result().isDone()) { // none ended yet: the first waits the window out for a second request
                clock.addAndGet(100);
                Thread.sleep(1);
            }
            assertThat(first.result().get().tokenIds()).hasSize(2);
            // the batch emptied with one sequence ending: one request is what the window waits for
            Job next = new Job(GenerationRequest.text("Tom").greedy().maxTokens(2).build(), GenerationListener.NONE, () -> false);
            s.submit(next);
            assertThat(next.result().get(10, TimeUnit.SECONDS).tokenIds()).hasSize(2);
        }
    }

    @Test
    void eachArrivalOpensTheGatheringWindowAgain() throws Exception {
        AtomicLong clock = new AtomicLong();
        List<Integer> rows = new CopyOnWriteArrayList<>();
        BatchRunner runner = recording(model.backend().batchRunner(3, 16, 1 << 24), clock, rows);
        try (BatchScheduler s = new BatchScheduler("test", runner, 3, 3, 16, 64, clock::get, 1_000)) {
            String[] prompts = {"Lily", "Tom", "Sue"};
            List<Job> jobs = new ArrayList<>();
            for (String p : prompts) jobs.add(new Job(GenerationRequest.text(p).greedy().maxTokens(1).build(), GenerationListener.NONE, () -> false));
            s.submit(jobs.get(0));
            clock.set(900);
            s.submit(jobs.get(1)); // within the first window: it opens another, to 1,900
            clock.set(1_500); // past the first window, within the second
            Thread.sleep(50);
            assertThat(s.stats().steps()).as("still gathering").isZero();
            s.submit(jobs.get(2));
            for (Job j : jobs) j.result().get(10, TimeUnit.SECONDS);
            int all = 0;
            for (String p : prompts) all += model.tokenize(p, true).length;
            assertThat(rows.get(0)).as("the three prompts in the first step").isEqualTo(all);
        }
    }

    @Test
    void aRequestThatFindsTheModelIdleWaitsForOneTheServerIsStillReading() throws Exception {
        AtomicLong clock = new AtomicLong(); // stands still: only an arrival or a submit ends the gathering
        List<Integer> rows = new CopyOnWriteArrayList<>();
        BatchRunner runner = recording(model.backend().batchRunner(3, 16, 1 << 24), clock, rows);
        try (BatchScheduler s = new BatchScheduler("test", runner, 3, 3, 16, 64, clock::get, 1_000)) {
            Job lone = new Job(GenerationRequest.text("Lily").greedy().maxTokens(1).build(), GenerationListener.NONE, () -> false);
            s.submit(lone);
            while (!lone.result().isDone()) { // none ended yet: it waits the window out
                clock.addAndGet(100);
                Thread.sleep(1);
            }
            // one sequence ended: one request is expected, but the server is reading a second one
            CountDownLatch reading = new CountDownLatch(1), submitNow = new CountDownLatch(1);
            Job a = new Job(GenerationRequest.text("Tom").greedy().maxTokens(1).build(), GenerationListener.NONE, () -> false);
            Job b = new Job(GenerationRequest.text("Sue").greedy().maxTokens(1).build(), GenerationListener.NONE, () -> false);
            Thread server = Thread.ofPlatform().start(() -> {
                Arrivals.begin();
                try {
                    reading.countDown();
                    submitNow.await();
                    s.submit(b);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    Arrivals.end();
                }
            });
            reading.await();
            s.submit(a);
            Thread.sleep(50);
            assertThat(rows).as("a waits while b is read: only the lone request's step ran").hasSize(1);
            submitNow.countDown();
            server.join();
            a.result().get(10, TimeUnit.SECONDS);
            b.result().get(10, TimeUnit.SECONDS);
            assertThat(rows).as("a and b in one step (each a one-step job)").hasSize(2);
        }
    }

    /** A runner on the test's clock (passes take no time) that records each step's rows in {@code rows}. */
    private static BatchRunner recording(BatchRunner inner, AtomicLong clock, List<Integer> rows) {
        return new Ticking(inner, clock, 0, 0) {
            @Override
            public void step(StepBatch batch) {
                rows.add(batch.size());
                super.step(batch);
            }
        };
    }

    /** A runner whose forward passes and sequence openings advance a test's clock. */
    private static class Ticking implements BatchRunner {
        private final BatchRunner inner;
        private final AtomicLong clock;
        private final long perStep, perOpen;

        Ticking(BatchRunner inner, AtomicLong clock, long perStep, long perOpen) {
            this.inner = inner;
            this.clock = clock;
            this.perStep = perStep;
            this.perOpen = perOpen;
        }

        @Override
        public Sequence open(int[] prompt, int headroomBlocks, boolean reusePrefix) {
            clock.addAndGet(perOpen);
            return inner.open(prompt, headroomBlocks, reusePrefix);
        }

        @Override
        public void step(StepBatch batch) {
            inner.step(batch);
            clock.addAndGet(perStep);
        }

        @Override
        public int blockSize() {
            return inner.blockSize();
        }

        @Override
        public int blocksFor(int positions) {
            return inner.blocksFor(positions);
        }

        @Override
        public int totalBlocks() {
            return inner.totalBlocks();
        }

        @Override
        public KvUsage usage() {
            return inner.usage();
        }

        @Override
        public void clearCache() {
            inner.clearCache();
        }

        @Override
        public int maxRows() {
            return inner.maxRows();
        }

        @Override
        public float[] logits() {
            return inner.logits();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
