package io.backstop.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.GenerationListener;
import io.backstop.engine.TokenLogprob;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The hand-off from the step loop to a stream's listener: waiting for a token to be delivered, bounded. */
class StreamBufferTest {
    /** A listener whose onToken blocks until released. */
    static final class Held implements GenerationListener {
        final CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        volatile int tokens;

        @Override
        public void onText(String delta) {}

        @Override
        public void onToken(int tokenId, TokenLogprob logprob) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            tokens++;
        }
    }

    @Test
    void awaitDeliveredReturnsOnceTheListenerHasTheToken() throws Exception {
        Held listener = new Held();
        StreamBuffer out = new StreamBuffer(listener, 8, "test-stream");
        out.onToken(7, null);
        listener.entered.await();
        CompletableFuture<Integer> seen = CompletableFuture.supplyAsync(() -> {
            out.awaitDelivered(TimeUnit.SECONDS.toNanos(30));
            return listener.tokens;
        });
        Thread.sleep(100); // time for a wait that did not wait to end
        assertThat(seen).as("waiting while the listener is inside onToken").isNotDone();
        listener.release.countDown();
        assertThat(seen.get(30, TimeUnit.SECONDS)).as("tokens the listener had finished when the wait ended").isEqualTo(1);
        out.finish(() -> {});
    }

    @Test
    void aListenerThatNeverReturnsHoldsTheWaitNoLongerThanItsBound() throws Exception {
        Held listener = new Held();
        StreamBuffer out = new StreamBuffer(listener, 8, "test-stream");
        out.onToken(7, null);
        listener.entered.await();
        out.awaitDelivered(TimeUnit.MILLISECONDS.toNanos(1)); // returns: the test would hang otherwise
        assertThat(listener.tokens).isZero();
        listener.release.countDown();
        out.finish(() -> {});
    }
}
