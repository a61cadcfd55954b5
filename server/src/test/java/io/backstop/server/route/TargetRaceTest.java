package io.backstop.server.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.server.config.RouteConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The race between a route's targets, with stand-in targets that block on latches: which target starts
 * when, which one answers, and that the others are stopped. Orders are forced by latches, never by time;
 * the hedge delay is 1 ms so "too slow" is simply "blocked".
 */
class TargetRaceTest {
    private static final RouteConfig.Target A = new RouteConfig.Target("a", "m", null, null);
    private static final RouteConfig.Target B = new RouteConfig.Target("b", "m", null, null);
    private static final RouteConfig.Target LOCAL = new RouteConfig.Target("local", "m", null, null);

    private final List<String> started = new CopyOnWriteArrayList<>();
    private final Map<String, CountDownLatch> stopped = new ConcurrentHashMap<>();

    private static RouteConfig route(Duration hedge, RouteConfig.Target... targets) {
        return new RouteConfig("r", List.of(targets), hedge, Duration.ofMillis(500));
    }

    /** Registers a stop hook that counts down {@code stopped[name]}, as real targets register theirs. */
    private CountDownLatch track(RouteConfig.Target t, Gate gate) {
        started.add(t.provider());
        CountDownLatch stop = stopped.computeIfAbsent(t.provider(), k -> new CountDownLatch(1));
        gate.onCancel(stop::countDown);
        return stop;
    }

    private static void await(CountDownLatch l) throws InterruptedException {
        if (!l.await(30, TimeUnit.SECONDS)) throw new AssertionError("latch never released");
    }

    @Test
    void aFailureBeforeContentStartsTheNextTargetAtOnce() {
        List<TargetRace.Failure> failures = new TargetRace(route(null, A, B), "req", (t, gate) -> {
            track(t, gate);
            if (t == A) throw new IllegalStateException("a is down");
            assertThat(gate.enter()).isTrue();
        }).serve();
        assertThat(failures).isEmpty();
        assertThat(started).containsExactly("a", "b");
    }

    @Test
    void theHedgeStartsTheNextTargetBesideASilentOneWhichIsStoppedWhenTheOtherAnswers() throws Exception {
        AtomicInteger answeredBy = new AtomicInteger();
        List<TargetRace.Failure> failures = new TargetRace(route(Duration.ofMillis(1), A, LOCAL), "req", (t, gate) -> {
            CountDownLatch stop = track(t, gate);
            if (t == A) {
                await(stop); // silent until stopped
                assertThat(gate.enter()).as("a stopped target never answers").isFalse();
                return;
            }
            assertThat(gate.enter()).isTrue();
            answeredBy.set(2);
        }).serve();
        assertThat(failures).isEmpty();
        // Any order: a's thread may be scheduled after the 1 ms hedge has already started local.
        assertThat(started).containsExactlyInAnyOrder("a", "local");
        assertThat(answeredBy).hasValue(2);
        await(stopped.get("a"));
        assertThat(stopped.get("local").getCount()).as("the winner is not stopped").isOne();
    }

    @Test
    void whenTheSlowTargetGetsContentFirstAfterAllTheHedgeIsStopped() throws Exception {
        CountDownLatch bStarted = new CountDownLatch(1);
        List<TargetRace.Failure> failures = new TargetRace(route(Duration.ofMillis(1), A, B), "req", (t, gate) -> {
            CountDownLatch stop = track(t, gate);
            if (t == A) {
                await(bStarted);
                assertThat(gate.enter()).isTrue();
            } else {
                bStarted.countDown();
                await(stop);
                assertThat(gate.enter()).isFalse();
            }
        }).serve();
        assertThat(failures).isEmpty();
        await(stopped.get("b"));
        assertThat(stopped.get("a").getCount()).isOne();
    }

    @Test
    void onlyOneTargetPassesTheGateAndAStopHookRegisteredAfterLosingStillRuns() throws Exception {
        CountDownLatch bothStarted = new CountDownLatch(2);
        CountDownLatch decided = new CountDownLatch(2);
        AtomicInteger passed = new AtomicInteger();
        CountDownLatch lateHook = new CountDownLatch(1);
        new TargetRace(route(Duration.ofMillis(1), A, B), "req", (t, gate) -> {
            started.add(t.provider());
            bothStarted.countDown();
            await(bothStarted);
            if (gate.enter()) passed.incrementAndGet();
            else gate.onCancel(lateHook::countDown); // e.g. a generation submitted just after the other target won
            decided.countDown();
        }).serve();
        await(decided);
        assertThat(passed).hasValue(1);
        await(lateHook);
    }

    @Test
    void whenEveryTargetFailsTheirFailuresComeBackInOrder() {
        List<TargetRace.Failure> failures = new TargetRace(route(null, A, B), "req", (t, gate) -> {
            throw new IllegalStateException(t.provider() + " failed");
        }).serve();
        assertThat(failures).extracting(f -> f.target().provider() + ": " + f.error().getMessage())
                .containsExactly("a: a failed", "b: b failed");
    }

    @Test
    void whenTheServerStopsEveryTargetIsStoppedAndTheOneAnsweringIsWaitedFor() throws Exception {
        CountDownLatch answering = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<List<TargetRace.Failure>> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread request = Thread.ofVirtual().start(() -> result.set(new TargetRace(route(null, A, B), "req", (t, gate) -> {
            CountDownLatch stop = track(t, gate);
            assertThat(gate.enter()).isTrue();
            answering.countDown();
            await(stop); // e.g. a stream that ends itself with an error event once stopped
            finished.countDown();
        }).serve()));
        await(answering);
        request.interrupt();
        request.join();
        assertThat(finished.getCount()).as("the answer was complete before the request ended").isZero();
        assertThat(result.get()).isEmpty();
    }

    @Test
    void whenTheServerStopsBeforeAnyAnswerTheRequestEndsWithAStoppedFailure() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<List<TargetRace.Failure>> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread request = Thread.ofVirtual().start(() -> result.set(new TargetRace(route(null, A, B), "req", (t, gate) -> {
            CountDownLatch stop = track(t, gate);
            running.countDown();
            await(stop);
        }).serve()));
        await(running);
        request.interrupt();
        request.join();
        assertThat(result.get()).singleElement().satisfies(f -> assertThat(f.error()).hasMessage("the server stopped serving this request"));
        await(stopped.get("a"));
        assertThat(started).containsExactly("a");
    }

    @Test
    void anErrorOfTheWinnerAfterItAnsweredIsRethrown() {
        assertThatThrownBy(() -> new TargetRace(route(null, A, B), "req", (t, gate) -> {
            assertThat(gate.enter()).isTrue();
            throw new IllegalStateException("broke after answering");
        }).serve()).isInstanceOf(IllegalStateException.class).hasMessage("broke after answering");
    }
}
