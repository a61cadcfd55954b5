package io.backstop.server.guard;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every guardrail decision, logged with the request id, the public model name, where it was taken
 * (input, output, answer), the check, its action and score — never the matched text, which
 * {@link CheckResult} does not hold. Blocks are logged as warnings, flags and redactions as info; the
 * last {@code capacity} decisions are kept for diagnostics and tests.
 */
public final class GuardLog {
    private static final Logger LOG = LoggerFactory.getLogger(GuardLog.class);

    public record Entry(String requestId, String model, String stage, CheckResult result) {}

    private final int capacity;
    private final Deque<Entry> entries = new ArrayDeque<>();

    public GuardLog(int capacity) {
        this.capacity = capacity;
    }

    public void record(String requestId, String model, String stage, CheckResult r) {
        String line = "request {}: guardrail {} on {} of '{}': {} (score {}{}) {}";
        Object[] args = {requestId, r.check(), stage, model, r.action().lower(), r.score(), r.counts().isEmpty() ? "" : ", counts " + r.counts(), r.reason()};
        if (r.action() == GuardAction.BLOCK) LOG.warn(line, args);
        else LOG.info(line, args);
        synchronized (this) {
            if (entries.size() == capacity) entries.removeFirst();
            entries.addLast(new Entry(requestId, model, stage, r));
        }
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** The decisions about one request, in order. */
    public synchronized List<Entry> of(String requestId) {
        return entries.stream().filter(e -> e.requestId().equals(requestId)).toList();
    }
}
