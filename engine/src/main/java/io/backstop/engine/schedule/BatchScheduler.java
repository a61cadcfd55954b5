package io.backstop.engine.schedule;

import io.backstop.engine.EngineException;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.QueueFullException;
import io.backstop.engine.backend.BatchRunner;
import io.backstop.engine.backend.StepBatch;
import io.backstop.engine.generate.Generation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching (llama.cpp's server slots, vLLM's scheduler): one thread drives the model, and at
 * every step builds one batch of one token for each decoding sequence plus up to {@code prefillTokens}
 * tokens of prompts still being read (chunked prefill, oldest first), runs one forward pass, and hands
 * each sequence its logits. Sequences join at any step when there is a place and KV memory for their
 * prompt (FIFO: a prompt that does not fit holds those behind it), and leave when they finish or are
 * cancelled. Up to {@code queueSize} wait; beyond that {@link QueueFullException}. A sequence whose KV
 * memory cannot grow ends with {@code length}. Tokens reach listeners through a {@link StreamBuffer}
 * per stream, never on the step thread.
 */
public final class BatchScheduler implements AutoCloseable {
    private final String name;
    private final BatchRunner runner;
    private final int maxRunning, queueSize, prefillTokens, streamBuffer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final List<Running> running = new ArrayList<>();
    private final StepBatch batch;
    private final Thread thread;
    private volatile boolean closed;
    private volatile int runningCount, lastBatchRows;
    private final AtomicLong steps = new AtomicLong(), batchedTokens = new AtomicLong(), slowClients = new AtomicLong();
    /** Nanoseconds the step thread spent in forward passes, and with work in hand (admission, batching, sampling, hand-off included). */
    private final AtomicLong forwardNanos = new AtomicLong(), busyNanos = new AtomicLong();
    private final LongSupplier clock;
    private final long gatherNanos;
    private long streams;

    /**
     * How long a request that finds the step thread idle waits for others before its first step (until as many are
     * waiting as the last batch ended, or {@code max_in_flight}: {@link #gather}). Clients that send together (a pool
     * of workers, a fan-out, streams that ended in one step and come back) would otherwise start one step apart: the
     * first runs a step alone, and each other waits that whole step (~100 ms for a 1B model on 2 cores) before its
     * first token. A few milliseconds cover an HTTP request's way to the queue on loopback; a lone client's next
     * request, expected alone, does not wait.
     */
    static final long GATHER_NANOS = 3_000_000;
    /**
     * Each arrival opens the window again, up to this many windows in all: the streams that ended in one step reach
     * their clients, and their next requests the queue, over several milliseconds when the cores are busy (8 clients
     * on 2 cores: 6 ms from the first to the last, which one window of 3 ms cut after the fifth).
     */
    static final int GATHER_SPAN = 4;

    public BatchScheduler(String name, BatchRunner runner, int maxRunning, int queueSize, int prefillTokens, int streamBuffer) {
        this(name, runner, maxRunning, queueSize, prefillTokens, streamBuffer, System::nanoTime, GATHER_NANOS);
    }

    /**
     * @param clock nanoseconds for the busy and forward-pass times of {@link #stats()} and the gathering window (tests
     *              pass their own)
     * @param gatherNanos see {@link #GATHER_NANOS}; 0: a request found idle starts at once
     */
    BatchScheduler(String name, BatchRunner runner, int maxRunning, int queueSize, int prefillTokens, int streamBuffer, LongSupplier clock,
                   long gatherNanos) {
        if (maxRunning < 1) throw new IllegalArgumentException("maxRunning must be at least 1, got " + maxRunning);
        if (queueSize < 0) throw new IllegalArgumentException("queueSize must be 0 or more, got " + queueSize);
        if (prefillTokens < 1) throw new IllegalArgumentException("prefillTokens must be at least 1, got " + prefillTokens);
        if (runner.maxRows() < maxRunning + prefillTokens) throw new IllegalArgumentException("the runner takes " + runner.maxRows() + " rows per step");
        this.name = name;
        this.runner = runner;
        this.maxRunning = maxRunning;
        this.queueSize = queueSize;
        this.prefillTokens = prefillTokens;
        this.streamBuffer = Math.max(1, streamBuffer);
        this.clock = clock;
        this.gatherNanos = gatherNanos;
        this.batch = new StepBatch(maxRunning + prefillTokens);
        this.thread = Thread.ofPlatform().daemon().name("backstop-" + name + "-steps").start(this::loop);
    }

    private record Waiting(BatchJob job, long submitted) {}

    /** A running sequence: its generation, KV, stream, and how much of its prompt has run. */
    private static final class Running {
        final BatchJob job;
        final Generation gen;
        final BatchRunner.Sequence seq;
        final StreamBuffer out;
        int fed; // prompt tokens whose KV is computed (or reused)
        int chunk; // prompt tokens (both forms) in the step being built
        boolean decoding;

        Running(BatchJob job, Generation gen, BatchRunner.Sequence seq, StreamBuffer out) {
            this.job = job;
            this.gen = gen;
            this.seq = seq;
            this.out = out;
            this.fed = seq.position();
        }
    }

    /** Queues a job, or throws {@link QueueFullException} when every place is taken. The prompt must fit the context. */
    public Ticket submit(BatchJob job) {
        lock.lock();
        try {
            if (closed) throw new EngineException("model is closed");
            if (waiting.size() + runningCount >= maxRunning + queueSize) {
                throw new QueueFullException(maxRunning, queueSize);
            }
            int blocks = runner.blocksFor(job.prompt().length + 1);
            if (blocks > runner.totalBlocks()) {
                throw new EngineException("the prompt needs " + blocks + " KV cache blocks but the model's whole KV budget is "
                        + runner.totalBlocks() + "; raise kv_cache_mb or shorten the prompt");
            }
            Waiting w = new Waiting(job, System.nanoTime());
            waiting.add(w);
            Arrivals.end();
            work.signal();
            return () -> {
                lock.lock();
                try {
                    return waiting.remove(w);
                } finally {
                    lock.unlock();
                }
            };
        } finally {
            lock.unlock();
        }
    }

    /** A queued job: withdraw it while it still waits. */
    public interface Ticket {
        /** True when the job left the queue and will never run. */
        boolean withdraw();
    }

    public SchedulerStats stats() {
        BatchRunner.KvUsage kv = runner.usage();
        int w;
        lock.lock();
        try {
            w = waiting.size();
        } finally {
            lock.unlock();
        }
        return new SchedulerStats(runningCount, w, steps.get(), lastBatchRows, batchedTokens.get(), kv.total(), kv.used(), kv.cached(),
                kv.blockBytes(), kv.prefixHits(), kv.prefixTokensSaved(), slowClients.get(), forwardNanos.get(), busyNanos.get());
    }

    private void loop() {
        while (!closed) {
            try {
                admit();
                long from = clock.getAsLong(); // the wait for work is over: from here the step thread is busy
                if (running.isEmpty()) continue;
                step();
                busyNanos.addAndGet(clock.getAsLong() - from + admitting);
            } catch (Throwable t) {
                if (closed) break;
                failAll(t);
            }
        }
        failAll(new EngineException("the model was closed"));
    }

    private void failAll(Throwable t) {
        List<Running> failed = new ArrayList<>(running);
        running.clear();
        runningCount = 0;
        for (Running r : failed) fail(r, t);
        if (!closed) return;
        List<Waiting> dropped;
        lock.lock();
        try {
            dropped = new ArrayList<>(waiting);
            waiting.clear();
        } finally {
            lock.unlock();
        }
        for (Waiting w : dropped) w.job().failed(t instanceof EngineException e ? e : new EngineException(t.toString(), t));
    }

    /** Moves waiting jobs into the batch while there is a place and KV memory; sleeps when there is nothing to do. */
    private void admit() throws InterruptedException {
        lock.lock();
        try {
            while (running.isEmpty() && waiting.isEmpty() && !closed) work.await();
            if (running.isEmpty()) gather();
            long from = clock.getAsLong();
            while (running.size() < maxRunning && !waiting.isEmpty()) {
                Waiting w = waiting.peek();
                if (sharesPrefixInProgress(w.job())) break; // it will start from that prompt's blocks once they are computed
                // keep a block of headroom per running sequence so those already running can still grow
                boolean reuse = !w.job().scoresPrompt(); // cached positions would have no logits to score
                BatchRunner.Sequence seq = runner.open(w.job().prompt(), running.size(), reuse);
                if (seq == null) {
                    if (!running.isEmpty()) break; // memory frees as they finish
                    seq = runner.open(w.job().prompt(), 0, reuse);
                    if (seq == null) break; // cannot happen: submit checked the prompt fits the whole budget
                }
                waiting.poll();
                StreamBuffer out = new StreamBuffer(w.job().listener(), streamBuffer, "backstop-" + name + "-stream-" + (++streams));
                try {
                    running.add(new Running(w.job(), w.job().start(out), seq, out));
                } catch (RuntimeException e) {
                    seq.close();
                    out.finish(() -> w.job().failed(e));
                }
            }
            runningCount = running.size();
            admitting = clock.getAsLong() - from;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Idle until now: waits up to {@link #gatherNanos} after the latest arrival (at most {@link #GATHER_SPAN} windows
     * in all) for more requests to start with (the lock is held, and released while waiting), until as many are
     * waiting as the step that emptied the batch ended (their clients are the likeliest to come back together;
     * {@code max_in_flight} when none ended yet) and the server reads no other ({@link Arrivals}). A lone client's
     * next request starts at once; a burst starts in one step.
     */
    private void gather() throws InterruptedException {
        long start = clock.getAsLong(), until = start + gatherNanos;
        int expected = endedLast > 0 ? Math.min(endedLast, maxRunning) : maxRunning;
        endedLast = 0;
        int seen = waiting.size();
        while (waiting.size() < maxRunning && !closed) {
            long now = clock.getAsLong();
            if (waiting.size() > seen) { // another came: the others may be on their way too
                seen = waiting.size();
                until = Math.min(now + gatherNanos, start + GATHER_SPAN * gatherNanos);
            }
            if (waiting.size() >= expected && Arrivals.pending() == 0) return; // nobody else on the way
            long left = until - now;
            if (left <= 0) return;
            work.awaitNanos(Math.min(left, 1_000_000)); // a submit signals; else look at the clock again within 1 ms
        }
    }

    /** Nanoseconds the latest {@link #admit} spent admitting (after its wait for work). */
    private long admitting;
    /** Sequences the step that emptied the batch ended (0 once a gathering has used it). */
    private int endedLast;

    /**
     * Whether a prompt still being read shares at least a block of its start with the job's and has not
     * computed that part yet: then the job waits and reuses that KV (n copies of a prompt, or a burst of
     * requests with one system prompt, read the shared part once).
     */
    private boolean sharesPrefixInProgress(BatchJob job) {
        if (job.scoresPrompt()) return false;
        int[] p = job.prompt();
        int block = runner.blockSize();
        for (Running r : running) {
            if (r.decoding) continue;
            int[] q = r.gen.prompt();
            int n = Math.min(p.length, q.length) - 1;
            int common = java.util.Arrays.mismatch(p, 0, n, q, 0, n);
            int shared = (common < 0 ? n : common) / block * block;
            if (shared > 0 && r.fed < shared) return true;
        }
        return false;
    }

    /**
     * One batch: a token per decoding sequence and the last token of each prompt that ends in this step (the decode
     * form: every sampled distribution comes from it), then the other tokens of prompt chunks, oldest prompt first;
     * one forward pass; sampling.
     */
    private void step() {
        batch.clear();
        for (Running r : running) {
            if (!r.decoding || r.gen.finished()) continue;
            if (r.gen.interrupted()) r.gen.end(FinishReason.CANCELLED, null);
            else if (!r.seq.reserve(r.seq.position() + 1)) {
                r.gen.end(FinishReason.LENGTH, "the KV cache budget is spent (" + runner.totalBlocks() + " blocks); kv_cache_mb bounds it");
            } else batch.add(r.seq, r.seq.position(), r.gen.lastToken(), true);
        }
        int room = prefillTokens;
        for (Running r : running) {
            r.chunk = 0;
            if (r.decoding || r.gen.finished() || room == 0) continue;
            if (r.gen.interrupted()) {
                r.gen.end(FinishReason.CANCELLED, null);
                continue;
            }
            int[] prompt = r.gen.prompt();
            r.chunk = Math.min(room, prompt.length - r.fed);
            room -= r.chunk;
            if (r.fed + r.chunk == prompt.length && lastInDecodeForm(r)) batch.add(r.seq, prompt.length - 1, prompt[prompt.length - 1], true);
        }
        for (Running r : running) {
            if (r.chunk == 0) continue;
            int[] prompt = r.gen.prompt();
            int end = r.fed + r.chunk;
            if (end == prompt.length && lastInDecodeForm(r)) end--;
            for (int p = r.fed; p < end; p++) batch.addPrompt(r.seq, p, prompt[p], r.gen.scoresPrompt() || p == prompt.length - 1);
        }
        if (batch.size() > 0) {
            long from = clock.getAsLong();
            runner.step(batch);
            forwardNanos.addAndGet(clock.getAsLong() - from);
            steps.incrementAndGet();
            batchedTokens.addAndGet(batch.size());
            lastBatchRows = batch.size();
            deliverLogits();
            letFirstTokensOut();
        }
        finishEnded();
    }

    /** A scored prompt ({@code echo} + {@code logprobs}) keeps every position in the prompt form, the one its other logits come from. */
    private static boolean lastInDecodeForm(Running r) {
        return !r.gen.scoresPrompt();
    }

    private void deliverLogits() {
        float[] logits = runner.logits();
        int vocab = logits.length / runner.maxRows();
        int outs = batch.logitRowCount();
        Running r = null;
        for (int i = 0; i < outs; i++) {
            int row = batch.logitRow(i);
            BatchRunner.Sequence seq = batch.sequence(row);
            if (r == null || r.seq != seq) r = find(seq);
            float[] own = r.gen.logits();
            System.arraycopy(logits, i * vocab, own, 0, vocab);
            if (r.decoding) {
                r.gen.next(own);
                continue;
            }
            int p = batch.position(row);
            if (r.gen.scoresPrompt()) r.gen.promptLogits(p, own);
            if (p == r.gen.prompt().length - 1) {
                r.decoding = true;
                if (r.gen.scoresPrompt()) System.arraycopy(logits, i * vocab, own, 0, vocab);
                if (r.gen.promptDone()) r.gen.next(own);
                firstTokens.add(r);
            }
        }
        for (Running x : running) if (!x.decoding) x.fed = Math.max(x.fed, x.seq.position());
    }

    /**
     * Waits, {@link #FIRST_TOKEN_WAIT_NANOS} at most in all, until the streams that got their first token in this step
     * have handed it to their clients: the next step would take every core the compute pool has, and the write would
     * wait for the operating system to preempt one (1–6 ms measured on 2 cores, a fifth of a small model's time to
     * first token). Once per request, so the batch never waits on a slow client longer than that.
     */
    private void letFirstTokensOut() {
        if (firstTokens.isEmpty()) return;
        long until = System.nanoTime() + FIRST_TOKEN_WAIT_NANOS;
        for (Running r : firstTokens) r.out.awaitDelivered(until - System.nanoTime());
        firstTokens.clear();
    }

    /** Streams that got their first token in the step at hand. */
    private final List<Running> firstTokens = new ArrayList<>();
    static final long FIRST_TOKEN_WAIT_NANOS = 2_000_000;

    private Running find(BatchRunner.Sequence seq) {
        for (Running r : running) if (r.seq == seq) return r;
        throw new IllegalStateException("a batch row of no running sequence");
    }

    /** Takes finished sequences out of the batch; their places count as free before anyone sees a result. */
    private void finishEnded() {
        List<Running> ended = null;
        for (int i = running.size() - 1; i >= 0; i--) {
            if (!running.get(i).gen.finished()) continue;
            if (ended == null) ended = new ArrayList<>();
            ended.add(running.remove(i));
        }
        if (ended == null) return;
        runningCount = running.size();
        if (running.isEmpty()) endedLast = ended.size();
        for (Running r : ended) {
            r.seq.close();
            GenerationResult result = r.gen.result();
            String broken = r.out.brokenReason();
            if (broken != null && result.finishReason() == FinishReason.CANCELLED) {
                if (broken.startsWith(StreamBuffer.SLOW)) slowClients.incrementAndGet();
                result = withDetail(result, broken);
            }
            GenerationResult done = result;
            r.out.finish(() -> r.job.completed(done));
        }
    }

    private static GenerationResult withDetail(GenerationResult r, String detail) {
        return new GenerationResult(r.text(), r.tokenIds(), r.finishReason(), r.usage(), r.timings(), r.logprobs(), r.promptTokenIds(), r.promptLogprobs(), detail);
    }

    private void fail(Running r, Throwable t) {
        r.seq.close();
        EngineException e = t instanceof EngineException ee ? ee : new EngineException("generation failed: " + t, t);
        r.out.finish(() -> r.job.failed(e));
    }

    public int maxRunning() {
        return maxRunning;
    }

    public int queueSize() {
        return queueSize;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        thread.interrupt();
        try {
            thread.join(30_000); // the step in progress ends before the model's memory goes
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
