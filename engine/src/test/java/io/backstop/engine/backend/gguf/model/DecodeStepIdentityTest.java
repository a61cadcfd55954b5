package io.backstop.engine.backend.gguf.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.GgufFixtures;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A continuous-batching step's bits (Q4_0, whose decode kernels take steps of up to 31 sequences): a sequence's decode
 * token gets the same keys and values in every layer in a step of 24 sequences as alone (every layer's products but the
 * last one's MLP feed them; the logits are the Q6_K output's, whose kernels draw their own line), and a prompt chunk of
 * 16 tokens beside decoding rows keeps the tile's bits, those of the same chunk run on its own.
 */
class DecodeStepIdentityTest {
    private static final String FILE = "tiny-llama-Q4_0.gguf";
    private static ComputePool pool;

    @BeforeAll
    static void pool() {
        pool = ComputePool.shared(2);
    }

    @AfterAll
    static void release() {
        pool.close();
    }

    @Test
    void aDecodeTokenGetsTheKeysAndValuesItGetsAloneInAStepOfTwentyFourSequences() {
        try (GgufFile file = GgufFile.open(GgufFixtures.tiny(FILE))) {
            Transformer tr = Transformer.of(file);
            int[] prompt = GgufFixtures.tinyReference(FILE, true).promptIds();
            int rows = 24;
            KvBlocks blocks = new KvBlocks(tr.config(), 4 * rows);
            int[] tokens = new int[rows];
            for (int r = 0; r < rows; r++) tokens[r] = prompt[r % prompt.length];
            KvCache[] step = distinct(blocks, rows);
            run(tr, blocks, tokens, new int[rows], step, rows);
            int kvDim = tr.config().kvDim(), vDim = tr.config().vDim();
            for (int r = 0; r < rows; r++) {
                KvCache[] alone = distinct(blocks, 1);
                run(tr, blocks, new int[] {tokens[r]}, new int[1], alone, 1);
                for (int l = 0; l < tr.config().layers(); l++) {
                    KvBlock a = alone[0].block(0), b = step[r].block(0);
                    assertThat(keysAt0(b, l, kvDim)).as("keys, row %d of %d, layer %d", r, rows, l).containsExactly(keysAt0(a, l, kvDim));
                    assertThat(Arrays.copyOf(b.values[l], vDim)).as("values, row %d of %d, layer %d", r, rows, l).containsExactly(Arrays.copyOf(a.values[l], vDim));
                }
            }
        }
    }

    @Test
    void aPromptChunkBesideDecodingRowsKeepsTheBitsOfTheChunkAlone() {
        try (GgufFile file = GgufFile.open(GgufFixtures.tiny(FILE))) {
            Transformer tr = Transformer.of(file);
            int[] prompt = GgufFixtures.tinyReference(FILE, true).promptIds();
            int vocab = tr.config().vocab(), chunk = 16, decoding = 4;
            KvBlocks blocks = new KvBlocks(tr.config(), 64);
            int[] chunkTokens = new int[chunk], positions = new int[chunk];
            for (int t = 0; t < chunk; t++) {
                chunkTokens[t] = prompt[t % prompt.length];
                positions[t] = t;
            }
            KvCache own = seq(blocks, chunk);
            float[] alone = run(tr, blocks, chunkTokens, positions, fill(new KvCache[chunk], own), chunk);

            int n = decoding + chunk;
            int[] tokens = new int[n], pos = new int[n];
            KvCache[] seqs = new KvCache[n];
            for (int r = 0; r < decoding; r++) {
                tokens[r] = prompt[prompt.length - 1 - r];
                seqs[r] = seq(blocks, 1);
            }
            KvCache shared = seq(blocks, chunk);
            for (int t = 0; t < chunk; t++) {
                tokens[decoding + t] = chunkTokens[t];
                pos[decoding + t] = t;
                seqs[decoding + t] = shared;
            }
            float[] mixed = run(tr, blocks, tokens, pos, seqs, n);
            assertThat(Arrays.copyOfRange(mixed, decoding * vocab, n * vocab)).containsExactly(alone);
        }
    }

    /** Logits of every row of one step. */
    private static float[] run(Transformer tr, KvBlocks blocks, int[] tokens, int[] positions, KvCache[] seqs, int n) {
        ForwardPass pass = ForwardPass.forBatches(tr, pool, n);
        int[] logitRows = new int[n];
        for (int r = 0; r < n; r++) logitRows[r] = r;
        float[] logits = new float[n * tr.config().vocab()];
        pool.lock().lock();
        try {
            pass.forward(seqs, positions, tokens, n, logitRows, n, logits);
        } finally {
            pool.lock().unlock();
        }
        return logits;
    }

    private static KvCache[] distinct(KvBlocks blocks, int n) {
        KvCache[] seqs = new KvCache[n];
        for (int r = 0; r < n; r++) seqs[r] = seq(blocks, 1);
        return seqs;
    }

    private static KvCache seq(KvBlocks blocks, int positions) {
        KvCache kv = blocks.newSequence(64);
        assertThat(kv.ensure(positions)).isTrue();
        return kv;
    }

    private static KvCache[] fill(KvCache[] a, KvCache kv) {
        Arrays.fill(a, kv);
        return a;
    }

    /** Position 0's keys of layer l: the block holds them transposed, a dimension every {@link KvBlocks#BLOCK}. */
    private static float[] keysAt0(KvBlock b, int l, int kvDim) {
        float[] k = new float[kvDim];
        for (int j = 0; j < kvDim; j++) k[j] = b.keys[l][j * KvBlocks.BLOCK];
        return k;
    }
}
