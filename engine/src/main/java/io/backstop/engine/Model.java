package io.backstop.engine;

import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.generate.GenerationLoop;
import io.backstop.engine.grammar.ConstraintSpec;
import io.backstop.engine.grammar.GrammarCache;
import io.backstop.engine.grammar.GrammarException;
import io.backstop.engine.sampling.TokenConstraint;
import io.backstop.engine.schedule.Scheduler;
import io.backstop.engine.text.ChatTemplates;
import io.backstop.engine.text.Detokenizer;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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

    Model(String name, BackendModel backend, Scheduler scheduler, ChatTemplates templates) {
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

    /** The prompt text a chat renders to with the given template (null = the model's default). */
    public String renderChat(List<ChatMessage> messages, String template) {
        return templates.resolve(template).render(messages);
    }

    /** Prompt token ids for a request, BOS included. */
    public int[] promptTokens(Prompt prompt) {
        if (prompt instanceof Prompt.Tokens t) {
            int vocab = backend.info().vocabSize();
            for (int id : t.ids()) {
                if (id < 0 || id >= vocab) throw new InvalidRequestException("prompt", "prompt token id " + id + " is outside the vocabulary (0–" + (vocab - 1) + ")");
            }
            return t.ids();
        }
        String text = switch (prompt) {
            case Prompt.Text t -> t.text();
            case Prompt.Chat c -> renderChat(c.messages(), c.template());
            case Prompt.Tokens t -> throw new IllegalStateException("handled above");
        };
        rejectIfCertainlyTooLong(text);
        return tokenize(text, true);
    }

    /**
     * A text of N UTF-8 bytes needs at least N / maxTokenBytes tokens. Checking that first refuses a huge
     * prompt at once instead of spending seconds tokenizing it only to refuse it then.
     */
    private void rejectIfCertainlyTooLong(String text) {
        long minTokens = (long) text.length() / backend.vocabulary().maxTokenBytes(); // chars ≤ UTF-8 bytes
        if (minTokens > backend.maxPositions()) {
            throw new ContextOverflowException((int) Math.min(Integer.MAX_VALUE, minTokens), backend.maxPositions(), backend.info().contextLength(), true);
        }
    }

    /**
     * Validates and schedules a generation. Bad options, a prompt that does not fit and a full queue
     * are reported at once by exception; the handle then delivers the result.
     */
    public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
        request.validate(backend.info().vocabSize());
        int[] prompt = promptTokens(request.prompt());
        if (prompt.length == 0) throw new InvalidRequestException("prompt", "prompt is empty and this model has no BOS token to start from");
        if (prompt.length > backend.maxPositions()) {
            throw new ContextOverflowException(prompt.length, backend.maxPositions(), backend.info().contextLength());
        }
        TokenConstraint constraint = request.constraint() == null ? null : constraint(request.constraint(), request.stopTokenIds());
        GenerationHandle handle = new GenerationHandle();
        long submitted = System.nanoTime();
        long deadline = request.timeout() == null ? Long.MAX_VALUE : submitted + request.timeout().toNanos();
        GenerationListener sink = listener == null ? GenerationListener.NONE : listener;
        scheduler.submit(release -> {
            try {
                GenerationResult result = loop.run(request, prompt, constraint, sink, handle::isCancelled, deadline, System.nanoTime() - submitted);
                release.run(); // the slot is free before anyone sees the result
                handle.complete(result);
            } catch (Throwable t) {
                release.run();
                handle.fail(t instanceof EngineException ? t : new EngineException("generation failed: " + t, t));
            }
        });
        return handle;
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
            return grammars.matcher(spec, end);
        } catch (GrammarException e) {
            throw new InvalidRequestException(spec.field(), e.getMessage());
        }
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
     * An embedding of the text (mean-pooled last hidden states, L2-normalised).
     *
     * @throws InvalidRequestException when the text does not fit the context
     */
    public float[] embed(String text) {
        int[] tokens = tokenize(text, true);
        if (tokens.length == 0) throw new InvalidRequestException("input", "input must not be empty");
        if (tokens.length > backend.maxPositions()) {
            throw new InvalidRequestException("input", "input is " + tokens.length + " tokens but this model can take at most " + backend.maxPositions());
        }
        return backend.embed(tokens);
    }

    /** Generations running now. */
    public int running() {
        return scheduler.running();
    }

    /** Generations waiting for a slot. */
    public int waiting() {
        return scheduler.waiting();
    }

    /** The backend model, for benchmarks and diagnostics. */
    public BackendModel backend() {
        return backend;
    }

    @Override
    public void close() {
        scheduler.close();
        backend.close();
    }
}
