package io.backstop.engine.grammar;

import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.sampling.TokenConstraint;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link ConstraintSpec.Triggered}: the output is free until a trigger appears — as text, whatever
 * tokens spell it, or as a special token whose text it is — and from there on held to the body's
 * grammar. A trigger that is part of the body is fed to the body's matcher, then the rest of the token
 * that completed it; should the grammar reject those bytes (the model wrote the trigger inside a longer
 * token the grammar cannot follow), the output stays free to the end rather than failing. While free,
 * the generation loop samples without a mask; nothing here allocates per token.
 */
public final class TriggeredConstraint implements TokenConstraint {
    private final Vocabulary vocab;
    private final byte[][] triggers;
    private final boolean[] partOfBody;
    private final boolean[] atStart;
    private final Supplier<GrammarMatcher> body;
    private final byte[] window;  // the last bytes of the output, enough to end with any trigger
    private int windowLength;
    private long written;          // output bytes so far
    private long firstText = -1;  // offset of the first byte that is not whitespace, -1 while none
    private GrammarMatcher active;
    private boolean abandoned;

    public TriggeredConstraint(Vocabulary vocab, List<ConstraintSpec.Trigger> triggers, Supplier<GrammarMatcher> body) {
        this.vocab = vocab;
        this.body = body;
        this.triggers = new byte[triggers.size()][];
        this.partOfBody = new boolean[triggers.size()];
        this.atStart = new boolean[triggers.size()];
        int longest = 1;
        for (int i = 0; i < triggers.size(); i++) {
            this.triggers[i] = triggers.get(i).text().getBytes(StandardCharsets.UTF_8);
            this.partOfBody[i] = triggers.get(i).partOfBody();
            this.atStart[i] = triggers.get(i).atStart();
            longest = Math.max(longest, this.triggers[i].length);
        }
        this.window = new byte[longest];
    }

    @Override
    public boolean isFree() {
        return active == null;
    }

    /** Whether a trigger has started the body (for tests and diagnostics). */
    public boolean triggered() {
        return active != null;
    }

    @Override
    public int fillMask(long[] mask) {
        if (active != null) return active.fillMask(mask);
        Arrays.fill(mask, -1L);
        int size = vocab.size();
        if ((size & 63) != 0) mask[size >>> 6] = (1L << (size & 63)) - 1;
        return size;
    }

    @Override
    public boolean fits(int token, int remainingAfter) {
        return active == null || active.fits(token, remainingAfter);
    }

    @Override
    public int fillMaskWithin(long[] mask, int remainingAfter) {
        return active != null ? active.fillMaskWithin(mask, remainingAfter) : fillMask(mask);
    }

    @Override
    public void accept(int token) {
        if (active != null) {
            active.accept(token);
            return;
        }
        if (abandoned) return;
        if (vocab.isSpecial(token)) { // a special token is a trigger only as a whole, and only as a marker
            String piece = vocab.piece(token);
            for (int i = 0; i < triggers.length; i++) {
                if (!partOfBody[i] && (!atStart[i] || firstText < 0) && Arrays.equals(triggers[i], piece.getBytes(StandardCharsets.UTF_8))) {
                    start(i, null, 0, 0);
                    return;
                }
            }
            return;
        }
        byte[] b = vocab.bytes(token);
        for (int k = 0; k < b.length; k++) {
            push(b[k]);
            int hit = completedTrigger();
            if (hit >= 0) {
                start(hit, b, k + 1, b.length);
                return;
            }
            if (firstText < 0 && !isSpace(b[k])) firstText = written - 1;
        }
    }

    private void push(byte x) {
        if (windowLength == window.length) {
            System.arraycopy(window, 1, window, 0, window.length - 1);
            windowLength--;
        }
        window[windowLength++] = x;
        written++;
    }

    /** The trigger the output now ends with, or -1. */
    private int completedTrigger() {
        for (int i = 0; i < triggers.length; i++) {
            byte[] t = triggers[i];
            if (t.length > windowLength) continue;
            if (atStart[i] && firstText >= 0 && firstText < written - t.length) continue;
            if (Arrays.equals(window, windowLength - t.length, windowLength, t, 0, t.length)) return i;
        }
        return -1;
    }

    private void start(int trigger, byte[] rest, int from, int to) {
        GrammarMatcher m = body.get();
        boolean ok = !partOfBody[trigger] || m.acceptBytes(triggers[trigger], 0, triggers[trigger].length);
        if (ok && rest != null) ok = m.acceptBytes(rest, from, to);
        if (ok) active = m;
        else abandoned = true;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    @Override
    public boolean isComplete() {
        return active != null && active.isComplete();
    }

    @Override
    public boolean isDone() {
        return active != null && active.isDone();
    }
}
