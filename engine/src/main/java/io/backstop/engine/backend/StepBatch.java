package io.backstop.engine.backend;

/** The rows of one batched forward pass: a token of some sequence at a position; some rows want their logits. Reused step after step. */
public final class StepBatch {
    private final BatchRunner.Sequence[] seqs;
    private final int[] positions;
    private final int[] tokens;
    private final int[] logitRows;
    private int n, outs;
    /** Rows in the prompt form (a prompt's tokens but its last). */
    private int promptRows;

    public StepBatch(int capacity) {
        seqs = new BatchRunner.Sequence[capacity];
        positions = new int[capacity];
        tokens = new int[capacity];
        logitRows = new int[capacity];
    }

    public void clear() {
        java.util.Arrays.fill(seqs, 0, n, null);
        n = outs = promptRows = 0;
    }

    /** Adds a row of a prompt in the prompt form; returns the index of its logits in the step's output, or -1 when not wanted. */
    public int addPrompt(BatchRunner.Sequence seq, int position, int token, boolean wantLogits) {
        int i = append(seq, position, token, wantLogits);
        promptRows++;
        return i;
    }

    /**
     * Adds a row in the decode form (at most one per sequence): a token the sequence generated, or its prompt's last
     * token, whose logits give the first sample (so they are the same bits however the prompt was chunked, cached or
     * batched); returns the index of its logits in the step's output, or -1 when not wanted.
     */
    public int add(BatchRunner.Sequence seq, int position, int token, boolean wantLogits) {
        if (promptRows > 0) throw new IllegalStateException("a step's decode rows come before its prompt rows");
        return append(seq, position, token, wantLogits);
    }

    private int append(BatchRunner.Sequence seq, int position, int token, boolean wantLogits) {
        if (n == tokens.length) throw new IllegalStateException("batch is full (" + n + " rows)");
        seqs[n] = seq;
        positions[n] = position;
        tokens[n] = token;
        if (wantLogits) logitRows[outs] = n;
        n++;
        return wantLogits ? outs++ : -1;
    }

    public int size() {
        return n;
    }

    /** Rows 0 .. this − 1 are in the decode form (they come first), the rest prompt rows. */
    public int decodeRows() {
        return n - promptRows;
    }

    public int capacity() {
        return tokens.length;
    }

    public int logitRowCount() {
        return outs;
    }

    public BatchRunner.Sequence sequence(int row) {
        return seqs[row];
    }

    public int position(int row) {
        return positions[row];
    }

    public int token(int row) {
        return tokens[row];
    }

    /** Row of the i-th wanted logits. */
    public int logitRow(int i) {
        return logitRows[i];
    }
}
