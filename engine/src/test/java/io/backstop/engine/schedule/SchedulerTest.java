package io.backstop.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.QueueFullException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    @Test
    void aSlotIsFreeAsSoonAsTheResultIsPublished() throws Exception {
        try (Scheduler s = new Scheduler("t", 1, 0)) {
            for (int i = 0; i < 200; i++) { // back to back: never "busy" with a queue of 0
                CompletableFuture<Integer> f = new CompletableFuture<>();
                int n = i;
                s.submit(release -> {
                    release.run();
                    f.complete(n);
                });
                assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo(n);
            }
        }
    }

    @Test
    void runsAtMostMaxInFlightQueuesFifoAndRejectsBeyond() throws Exception {
        try (Scheduler s = new Scheduler("t", 2, 2)) {
            CountDownLatch gate = new CountDownLatch(1);
            List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch done = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                int n = i;
                s.submit(release -> {
                    order.add(n); // start order
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    done.countDown();
                });
            }
            Thread.sleep(100);
            assertThat(s.running()).isEqualTo(2);
            assertThat(s.waiting()).isEqualTo(2);
            assertThatThrownBy(() -> s.submit(r -> {})).isInstanceOf(QueueFullException.class)
                    .hasMessageContaining("2 requests running and 2 waiting");
            gate.countDown();
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(order.subList(0, 2)).containsExactlyInAnyOrder(0, 1);
            assertThat(order.subList(2, 4)).containsExactly(2, 3); // the queue is FIFO
        }
    }

    @Test
    void aWithdrawnTaskNeverRunsAndItsPlaceIsFreeAtOnce() throws Exception {
        try (Scheduler s = new Scheduler("t", 1, 1)) {
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch busy = new CountDownLatch(1);
            Scheduler.Ticket first = s.submit(release -> {
                busy.countDown();
                await(gate);
            });
            assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
            java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
            Scheduler.Ticket queued = s.submit(release -> ran.set(true));
            assertThatThrownBy(() -> s.submit(r -> {})).isInstanceOf(QueueFullException.class);
            assertThat(first.withdraw()).as("a running task cannot be withdrawn").isFalse();
            assertThat(queued.withdraw()).isTrue();
            assertThat(s.waiting()).isZero();
            CompletableFuture<Boolean> next = new CompletableFuture<>();
            s.submit(release -> next.complete(true)); // the withdrawn task's place is free
            gate.countDown();
            assertThat(next.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(ran).isFalse();
            assertThat(queued.withdraw()).isFalse();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
