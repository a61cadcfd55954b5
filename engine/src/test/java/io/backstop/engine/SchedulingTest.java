package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.TestModels.Reference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Concurrency, queueing, cancellation and timeouts on the real model. */
class SchedulingTest {

    @Test
    void concurrentGreedyGenerationsEachReproduceTheirReference() throws Exception {
        List<Reference> refs = TestModels.references();
        Model m = TestModels.stories(); // 4 in flight
        List<GenerationHandle> handles = new ArrayList<>();
        for (Reference ref : refs) {
            handles.add(m.submit(GenerationRequest.text(ref.prompt()).greedy().maxTokens(ref.maxTokens()).build(), null));
        }
        for (int i = 0; i < refs.size(); i++) {
            GenerationResult r = handles.get(i).result().get(120, TimeUnit.SECONDS);
            assertThat(r.tokenIds()).as(refs.get(i).name()).containsExactly(refs.get(i).generatedIds());
            assertThat(refs.get(i).prompt() + r.text()).isEqualTo(refs.get(i).text());
        }
    }

    @Test
    void cancellingMidStreamStopsWithinOneToken() {
        AtomicInteger tokens = new AtomicInteger();
        GenerationHandle[] self = new GenerationHandle[1];
        CountDownLatch started = new CountDownLatch(1);
        GenerationListener listener = new GenerationListener() {
            @Override
            public void onText(String delta) {}

            @Override
            public void onToken(int tokenId, TokenLogprob lp) {
                if (tokens.incrementAndGet() == 5) {
                    try {
                        started.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    self[0].cancel();
                }
            }
        };
        self[0] = TestModels.stories().submit(GenerationRequest.text("Once upon a time").greedy().maxTokens(300).build(), listener);
        started.countDown();
        GenerationResult r = self[0].await();
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.usage().completionTokens()).isEqualTo(5);
        assertThat(tokens.get()).isEqualTo(5);
    }

    @Test
    void aListenerThatFailsCancelsItsGeneration() {
        AtomicInteger calls = new AtomicInteger();
        GenerationResult r = TestModels.stories().generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(300).build(), delta -> {
            if (calls.incrementAndGet() == 3) throw new IllegalStateException("client went away");
        });
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.usage().completionTokens()).isLessThanOrEqualTo(3 + 2);
    }

    @Test
    void timeoutEndsTheRequestAsCancelled() {
        GenerationResult r = TestModels.stories().generate(GenerationRequest.text("Once upon a time").greedy().maxTokens(500)
                .logitBias(1, -100).logitBias(2, -100).timeout(Duration.ofNanos(1)).build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.usage().completionTokens()).isLessThanOrEqualTo(1);
    }

    @Test
    void aFullQueueIsRejectedClearlyAndEarlierRequestsStillFinish() throws Exception {
        try (Model m = Engine.load(TestModels.storiesDir(), LoadOptions.defaults().withConcurrency(1, 1))) {
            CountDownLatch release = new CountDownLatch(1);
            GenerationHandle first = holdTheSlot(m, release);
            GenerationHandle queued = m.submit(GenerationRequest.text("Lily").greedy().maxTokens(3).build(), null);
            assertThatThrownBy(() -> m.submit(GenerationRequest.text("Tom").greedy().maxTokens(3).build(), null))
                    .isInstanceOf(QueueFullException.class)
                    .hasMessageContaining("1 requests running and 1 waiting");
            release.countDown();
            assertThat(first.await().usage().completionTokens()).isEqualTo(3);
            assertThat(queued.await().usage().completionTokens()).isEqualTo(3);
            assertThat(queued.await().timings().queuedNanos()).isPositive();
        }
    }

    @Test
    void aGenerationCancelledWhileQueuedLeavesTheQueueAtOnce() throws Exception {
        try (Model m = Engine.load(TestModels.storiesDir(), LoadOptions.defaults().withConcurrency(1, 1))) {
            CountDownLatch release = new CountDownLatch(1);
            GenerationHandle first = holdTheSlot(m, release);
            GenerationHandle queued = m.submit(GenerationRequest.text("Lily").greedy().maxTokens(3).build(), null);
            assertThat(m.waiting()).isEqualTo(1);
            assertThat(queued.isStarted()).isFalse();
            queued.cancel();
            GenerationResult r = queued.result().get(5, TimeUnit.SECONDS); // while the first still holds the slot
            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.usage().completionTokens()).isZero();
            assertThat(m.waiting()).isZero();
            GenerationHandle next = m.submit(GenerationRequest.text("Tom").greedy().maxTokens(3).build(), null); // its place is free
            release.countDown();
            assertThat(first.await().usage().completionTokens()).isEqualTo(3);
            assertThat(next.await().usage().completionTokens()).isEqualTo(3);
            assertThat(first.isStarted()).isTrue();
        }
    }

    @Test
    void embeddingsAreAdmittedLikeGenerations() throws Exception {
        try (Model m = Engine.load(TestModels.storiesDir(), LoadOptions.defaults().withConcurrency(1, 0))) {
            CountDownLatch release = new CountDownLatch(1);
            GenerationHandle first = holdTheSlot(m, release);
            assertThatThrownBy(() -> m.embed(List.of(Prompt.text("Lily")), 100)).isInstanceOf(QueueFullException.class);
            assertThatThrownBy(() -> m.tokens(Prompt.text("Lily"), true)).isInstanceOf(QueueFullException.class);
            release.countDown();
            first.await();
            Embeddings e = m.embed(List.of(Prompt.text("Lily"), Prompt.text("Once upon a time")), 100);
            assertThat(e.vectors()).hasSize(2);
            assertThat(e.promptTokens()).isEqualTo(m.tokenize("Lily", true).length + m.tokenize("Once upon a time", true).length);
        }
    }

    /** A 3-token generation that holds its slot, after its first token, until {@code release}. */
    private static GenerationHandle holdTheSlot(Model m, CountDownLatch release) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        GenerationHandle h = m.submit(GenerationRequest.text("Once").greedy().maxTokens(3).build(), delta -> {
            running.countDown();
            await(release);
        });
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
        return h;
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
