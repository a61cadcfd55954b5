package io.backstop.engine.backend.gguf;

import io.backstop.engine.backend.BatchRunner;
import io.backstop.engine.backend.StepBatch;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.model.ForwardPass;
import io.backstop.engine.backend.gguf.model.KvBlocks;
import io.backstop.engine.backend.gguf.model.KvCache;
import io.backstop.engine.backend.gguf.model.Transformer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching on the native engine: one {@link ForwardPass} sized for the largest step, KV
 * memory in {@link KvBlocks} under the budget. A step holds the compute pool's turn lock for its pass
 * (other models and embeddings on the same pool take turns with it).
 */
final class GgufBatchRunner implements BatchRunner {
    private final Transformer transformer;
    private final ReentrantLock turn;
    private final KvBlocks blocks;
    private final ForwardPass pass;
    private final float[] logits;
    private final KvCache[] seqs;
    private final int[] positions, tokens, logitRows;

    GgufBatchRunner(Transformer transformer, ComputePool pool, int maxRows, long kvBytes) {
        this.transformer = transformer;
        this.turn = pool.lock();
        long blockBytes = KvBlocks.blockBytes(transformer.config());
        this.blocks = new KvBlocks(transformer.config(), (int) Math.max(1, Math.min(Integer.MAX_VALUE - 1, kvBytes / blockBytes)));
        this.pass = ForwardPass.forBatches(transformer, pool, maxRows);
        this.logits = new float[maxRows * transformer.config().vocab()];
        this.seqs = new KvCache[maxRows];
        this.positions = new int[maxRows];
        this.tokens = new int[maxRows];
        this.logitRows = new int[maxRows];
    }

    private record Seq(KvCache kv) implements Sequence {
        @Override
        public int position() {
            return kv.position();
        }

        @Override
        public int reused() {
            return kv.reused();
        }

        @Override
        public boolean reserve(int positions) {
            return kv.ensure(positions);
        }

        @Override
        public void close() {
            kv.close();
        }
    }

    @Override
    public Sequence open(int[] prompt, int headroomBlocks, boolean reusePrefix) {
        KvCache kv = blocks.newSequence(transformer.config().contextLength());
        if (reusePrefix) kv.reusePrefix(prompt);
        int positions = Math.min(prompt.length + 1, transformer.config().contextLength());
        int need = KvBlocks.blocksFor(positions) - kv.blocks();
        if (blocks.usage().free() - need < headroomBlocks || !kv.ensure(positions)) {
            kv.close();
            return null;
        }
        return new Seq(kv);
    }

    @Override
    public int blockSize() {
        return KvBlocks.BLOCK;
    }

    @Override
    public int blocksFor(int positions) {
        return KvBlocks.blocksFor(positions);
    }

    @Override
    public int totalBlocks() {
        return blocks.usage().total();
    }

    @Override
    public KvUsage usage() {
        KvBlocks.Usage u = blocks.usage();
        return new KvUsage(u.total(), u.used(), u.cached(), KvBlocks.blockBytes(transformer.config()), u.prefixHits(), u.prefixTokensSaved());
    }

    @Override
    public void clearCache() {
        blocks.clearCache();
    }

    @Override
    public int maxRows() {
        return pass.capacity();
    }

    @Override
    public void step(StepBatch batch) {
        int n = batch.size();
        for (int r = 0; r < n; r++) {
            seqs[r] = ((Seq) batch.sequence(r)).kv();
            positions[r] = batch.position(r);
            tokens[r] = batch.token(r);
        }
        int outs = batch.logitRowCount();
        for (int i = 0; i < outs; i++) logitRows[i] = batch.logitRow(i);
        turn.lock();
        try {
            pass.forward(seqs, positions, tokens, n, logitRows, outs, logits, batch.decodeRows());
        } finally {
            turn.unlock();
            java.util.Arrays.fill(seqs, 0, n, null);
        }
    }

    @Override
    public float[] logits() {
        return logits;
    }

    @Override
    public void close() {
        // the blocks are heap memory: they go with this runner
    }
}
