package io.backstop.engine;

import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.generate.Generation;
import io.backstop.engine.generate.GenerationLoop;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.GrammarCache;
import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.grammar.TriggeredConstraint;
import io.backstop.engine.sampling.TokenConstraint;
import io.backstop.engine.schedule.BatchJob;
import io.backstop.engine.schedule.BatchScheduler;
import io.backstop.engine.schedule.Scheduler;
import io.backstop.engine.schedule.SchedulerStats;
import io.backstop.engine.text.ChatTemplate;
import io.backstop.engine.text.ChatTemplates;
import io.backstop.engine.text.Detokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * A loaded model ready to serve: tokenize, render chats, and generate through a bounded scheduler.
 * Thread-safe; share one instance between requests.
 */
public final class Model implements AutoCloseable {
    private final String name;
    private final BackendModel backend;
    private final Scheduler scheduler;
    private final ChatTemplates templates;
    private final GenerationLoop loop;
    private final GrammarCache grammars;
    /** Continuous batching (native backend); null: a session per request through {@link #scheduler}. */
    private final BatchScheduler batches;
    private final java.util.Map<Set<String>, Set<Integer>> specialIds = new java.util.concurrent.ConcurrentHashMap<>();

    Model(String name, BackendModel backend, Scheduler scheduler, ChatTemplates templates) {
        this(name, backend, scheduler, templates, null);
    }

    Model(String name, BackendModel backend, Scheduler scheduler, ChatTemplates templates, BatchScheduler batches) {
        this.batches = batches;
        this.name = name;
        this.backend = backend;
        this.scheduler = scheduler;
        this.templates = templates;
        this.loop = new GenerationLoop(backend);
        this.grammars = new GrammarCache(backend.vocabulary());
    }

    public String name() {
        return name;
    }

    public ModelInfo info() {
        return backend.info();
    }

    /** Token ids for text; with {@code addSpecial} the model's BOS token is prepended when it uses one. */
    public int[] tokenize(String text, boolean addSpecial) {
        int[] ids = backend.encode(text);
        if (!addSpecial || !backend.addsBosToken()) return ids;
        int[] withBos = new int[ids.length + 1];
        withBos[0] = backend.bosTokenId();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /** Text for token ids, special tokens skipped, UTF-8 assembled from byte tokens. */
    public String detokenize(int[] ids) {
        int vocab = backend.info().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) throw new InvalidRequestException("tokens", "token id " + id + " is outside the vocabulary (0–" + (vocab - 1) + ")");
        }
        return Detokenizer.decode(backend.vocabulary(), ids);
    }

    /**
     * The text each token adds when the sequence is decoded from its start: the pieces concatenate to
     * {@link #detokenize} (so offsets into an echoed prompt line up). A character split over byte tokens
     * comes with its last byte; special tokens add nothing.
     */
    public List<String> tokenTexts(int[] ids) {
        checkVocabulary(ids, "tokens");
        Detokenizer d = new Detokenizer(backend.vocabulary(), true);
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) out.add(d.next(id));
        String tail = d.flush();
        if (!tail.isEmpty() && !out.isEmpty()) out.set(out.size() - 1, out.get(out.size() - 1) + tail);
        return out;
    }

    /** The prompt text a chat renders to with the given template (null = the model's default). */
    public String renderChat(List<ChatMessage> messages, String template) {
        return templates.resolve(template).render(messages);
    }

    /** The prompt text of a chat prompt, its tools included. */
    public String renderChat(Prompt.Chat chat) {
        return templates.resolve(chat.template()).render(chat.messages(), chat.tools());
    }

    /**
     * The chat template a chat naming {@code template} would use (null = the model's default), e.g. to
     * read which tool-call syntax it teaches.
     *
     * @throws InvalidRequestException when there is no such template
     */
    public ChatTemplate chatTemplate(String template) {
        return templates.resolve(template);
    }

    /** Prompt token ids for a request, BOS included. */
    public int[] promptTokens(Prompt prompt) {
        if (prompt instanceof Prompt.Tokens t) {
            checkVocabulary(t.ids(), "prompt");
            return t.ids();
        }
        String text = switch (prompt) {
            case Prompt.Text t -> t.text();
            case Prompt.Chat c -> renderChat(c);
            case Prompt.Tokens t -> throw new IllegalStateException("handled above");
        };
        rejectIfCertainlyTooLong(text);
        return tokenize(text, true);
    }

    private void checkVocabulary(int[] ids, String field) {
        int vocab = backend.info().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) throw new InvalidRequestException(field, field + " token id " + id + " is outside the vocabulary (0–" + (vocab - 1) + ")");
        }
    }

    /**
     * A text of N UTF-8 bytes needs at least N / maxTokenBytes tokens. Checking that first refuses a huge
     * prompt at once instead of spending seconds tokenizing it only to refuse it then.
     */
    private void rejectIfCertainlyTooLong(String text) {
        long minTokens = minTokens(text);
        if (minTokens > backend.maxPositions()) {
            throw new ContextOverflowException((int) Math.min(Integer.MAX_VALUE, minTokens), backend.maxPositions(), backend.info().contextLength(), true);
        }
    }

    private long minTokens(String text) {
        return (long) text.length() / backend.vocabulary().maxTokenBytes(); // chars ≤ UTF-8 bytes
    }

    /**
     * Validates and schedules a generation. Bad options, a prompt that does not fit and a full queue
     * are reported at once by exception; the handle then delivers the result.
     */
    public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
        request.validate(backend.info().vocabSize());
        int[] prompt;
        try {
            prompt = promptTokens(request.prompt());
            if (prompt.length > backend.maxPositions()) {
                throw new ContextOverflowException(prompt.length, backend.maxPositions(), backend.info().contextLength());
            }
        } catch (ContextOverflowException e) {
            throw e.withCompletionTokens(request.maxTokens() == null ? 0 : request.maxTokens());
        }
        if (prompt.length == 0) throw new InvalidRequestException("prompt", "prompt is empty and this model has no BOS token to start from");
        TokenConstraint constraint = request.constraint() == null ? null : constraint(request.constraint(), request.stopTokenIds());
        GenerationHandle handle = new GenerationHandle();
        long submitted = System.nanoTime();
        long deadline = request.timeout() == null ? Long.MAX_VALUE : submitted + request.timeout().toNanos();
        GenerationListener sink = listener == null ? GenerationListener.NONE : listener;
        if (batches != null) return submitBatched(request, prompt, constraint, sink, handle, submitted, deadline);
        Scheduler.Ticket ticket = scheduler.submit(release -> {
            handle.markStarted();
            try {
                GenerationResult result = loop.run(request, prompt, constraint, sink, handle::isCancelled, deadline, System.nanoTime() - submitted);
                release.run(); // the slot is free before anyone sees the result
                handle.complete(result);
            } catch (Throwable t) {
                release.run();
                handle.fail(t instanceof EngineException ? t : new EngineException("generation failed: " + t, t));
            }
        });
        // A generation cancelled while it waits leaves the queue at once instead of holding its place.
        handle.onCancel(() -> {
            if (ticket.withdraw()) handle.complete(cancelledWhileWaiting(prompt, System.nanoTime() - submitted));
        });
        return handle;
    }

    private GenerationHandle submitBatched(GenerationRequest request, int[] prompt, TokenConstraint constraint, GenerationListener listener,
                                           GenerationHandle handle, long submitted, long deadline) {
        BatchScheduler.Ticket ticket = batches.submit(new BatchJob() {
            @Override
            public int[] prompt() {
                return prompt;
            }

            @Override
            public boolean scoresPrompt() {
                return request.promptLogprobs() != null;
            }

            @Override
            public GenerationListener listener() {
                return listener;
            }

            @Override
            public Generation start(GenerationListener sink) {
                handle.markStarted();
                return new Generation(backend, request, prompt, constraint, sink, handle::isCancelled, deadline, System.nanoTime() - submitted);
            }

            @Override
            public void completed(GenerationResult result) {
                handle.complete(result);
            }

            @Override
            public void failed(Throwable error) {
                handle.fail(error);
            }
        });
        handle.onCancel(() -> {
            if (ticket.withdraw()) handle.complete(cancelledWhileWaiting(prompt, System.nanoTime() - submitted));
        });
        return handle;
    }

    /** What the scheduler is doing (batching, KV memory, prefix cache); null for a backend without continuous batching. */
    public SchedulerStats schedulerStats() {
        return batches == null ? null : batches.stats();
    }

    private static GenerationResult cancelledWhileWaiting(int[] prompt, long queuedNanos) {
        return new GenerationResult("", new int[0], FinishReason.CANCELLED, new Usage(prompt.length, 0),
                new Timings(queuedNanos, 0, 0, prompt.length, 0, 0), List.of(), prompt.clone(), List.of());
    }

    /**
     * A fresh matcher for an output constraint (compiled once per distinct spec and cached): the end
     * tokens (EOS and the request's stop ids) are allowed only when the document is complete.
     *
     * @throws InvalidRequestException naming the request field and the keyword when the spec cannot be compiled
     */
    public TokenConstraint constraint(ConstraintSpec spec, Set<Integer> stopTokenIds) {
        Set<Integer> end = new LinkedHashSet<>(backend.eosTokenIds());
        end.addAll(stopTokenIds);
        try {
            if (spec instanceof ConstraintSpec.Triggered t) {
                grammars.compile(t.body()); // errors at submit, not at the trigger
                return new TriggeredConstraint(backend.vocabulary(), t.triggers(), () -> grammars.matcher(t.body(), end));
            }
            return grammars.matcher(spec, end);
        } catch (GrammarException e) {
            throw new InvalidRequestException(spec.field(), e.getMessage());
        }
    }

    /**
     * The ids of the special tokens whose text is one of {@code pieces} (e.g. {@code [TOOL_CALLS]},
     * {@code <|python_tag|>}): such tokens add no text to the output, so a caller that needs to see them
     * watches for their ids. Cached per distinct set of pieces.
     */
    public Set<Integer> specialTokenIds(Set<String> pieces) {
        return specialIds.computeIfAbsent(Set.copyOf(pieces), p -> {
            Set<Integer> out = new java.util.HashSet<>();
            var vocab = backend.vocabulary();
            for (int id = 0; id < vocab.size(); id++) if (vocab.isSpecial(id) && p.contains(vocab.piece(id))) out.add(id);
            return Set.copyOf(out);
        });
    }

    /** The compiled grammars of this model (for benchmarks and diagnostics). */
    public GrammarCache grammars() {
        return grammars;
    }

    public GenerationResult generate(GenerationRequest request) {
        return submit(request, null).await();
    }

    public GenerationResult generate(GenerationRequest request, GenerationListener listener) {
        return submit(request, listener).await();
    }

    /**
     * An embedding of the text (mean-pooled last hidden states, L2-normalised), computed as a task of
     * this model's scheduler like {@link #embed(List, int)}.
     *
     * @throws InvalidRequestException when the text does not fit the context
     */
    public float[] embed(String text) {
        return embed(List.of(Prompt.text(text)), Integer.MAX_VALUE).vectors().get(0);
    }

    /**
     * Embeddings of several inputs: text gets the BOS token as a prompt does, token ids are taken as
     * they are. The work is one task of this model's scheduler, admitted like a generation (so it waits
     * its turn, and {@link QueueFullException} comes at once when every place is taken).
     *
     * @param maxTotalTokens the inputs may take at most this many tokens together
     * @throws InvalidRequestException naming {@code input} when an input is empty, too long, or the total is too large
     */
    public Embeddings embed(List<Prompt> inputs, int maxTotalTokens) {
        return scheduled(() -> {
            int limit = backend.maxPositions();
            List<int[]> tokens = new ArrayList<>(inputs.size());
            long total = 0;
            for (int i = 0; i < inputs.size(); i++) {
                String which = inputs.size() == 1 ? "input" : "input[" + i + "]";
                int[] ids = embeddingTokens(inputs.get(i), which);
                if (ids.length == 0) throw new InvalidRequestException("input", which + " must not be empty");
                if (ids.length > limit) {
                    throw new InvalidRequestException("input", which + " is " + ids.length + " tokens but this model can take at most " + limit);
                }
                total += ids.length;
                if (total > maxTotalTokens) {
                    throw new InvalidRequestException("input", "the inputs take " + (i + 1 < inputs.size() ? "at least " : "") + total
                            + " tokens together; at most " + maxTotalTokens + " are allowed in one request");
                }
                tokens.add(ids);
            }
            List<float[]> vectors = new ArrayList<>(tokens.size());
            for (int[] ids : tokens) vectors.add(backend.embed(ids));
            return new Embeddings(vectors, (int) total);
        });
    }

    private int[] embeddingTokens(Prompt input, String which) {
        return switch (input) {
            case Prompt.Text t -> {
                if (minTokens(t.text()) > backend.maxPositions()) { // refused before spending time tokenizing it
                    throw new InvalidRequestException("input", which + " is at least " + minTokens(t.text()) + " tokens but this model can take at most " + backend.maxPositions());
                }
                yield tokenize(t.text(), true);
            }
            case Prompt.Tokens t -> {
                checkVocabulary(t.ids(), "input");
                yield t.ids();
            }
            case Prompt.Chat c -> throw new InvalidRequestException("input", "chat messages cannot be embedded; send text or token ids");
        };
    }

    /**
     * Token ids of a prompt, as /tokenize reports them: text with the BOS token when {@code addSpecial},
     * token ids as they are, a chat rendered with its template. Tokenizing a long text is model work too,
     * so this runs as a task of the scheduler, admitted like a generation.
     */
    public int[] tokens(Prompt prompt, boolean addSpecial) {
        return scheduled(() -> prompt instanceof Prompt.Text t ? tokenize(t.text(), addSpecial) : promptTokens(prompt));
    }

    /** Runs work as one task of this model's scheduler and waits for it; its exceptions are rethrown. */
    private <T> T scheduled(Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        scheduler.submit(release -> {
            try {
                T value = work.get();
                release.run();
                result.complete(value);
            } catch (Throwable t) {
                release.run();
                result.completeExceptionally(t);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException("interrupted while waiting for the model");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new EngineException("model task failed: " + e.getCause(), e.getCause());
        }
    }

    /** Generations running now. */
    public int running() {
        return batches != null ? batches.stats().running() : scheduler.running();
    }

    /** Generations waiting for a slot. */
    public int waiting() {
        return batches != null ? batches.stats().waiting() : scheduler.waiting();
    }

    /** Scheduler and memory figures for metrics (read at scrape time). */
    public ModelStats stats() {
        if (batches != null) { // continuous batching: its figures, with the configured limits
            SchedulerStats s = batches.stats();
            return new ModelStats(s.running(), s.waiting(), scheduler.maxInFlight(), scheduler.queueSize(), s.lastBatchRows(),
                    s.kvBlocksUsed(), s.kvBlocksFree(), s.kvBlockBytes(), s.prefixHits(), s.prefixTokensSaved());
        }
        return ModelStats.slots(scheduler.running(), scheduler.waiting(), scheduler.maxInFlight(), scheduler.queueSize());
    }

    /** The backend model, for benchmarks and diagnostics. */
    public BackendModel backend() {
        return backend;
    }

    @Override
    public void close() {
        if (batches != null) batches.close();
        scheduler.close();
        backend.close();
    }
}
