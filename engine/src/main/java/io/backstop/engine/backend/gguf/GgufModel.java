package io.backstop.engine.backend.gguf;

import io.backstop.engine.ModelInfo;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.InferenceSession;
import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.backend.gguf.file.GgufFile;
import io.backstop.engine.backend.gguf.kernel.ComputePool;
import io.backstop.engine.backend.gguf.model.ForwardPass;
import io.backstop.engine.backend.gguf.model.Transformer;
import io.backstop.engine.backend.gguf.tokenizer.GgufTokenizer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/** A GGUF model on the native engine: the mapped file, its network, its tokenizer and a share of the compute pool. */
public final class GgufModel implements BackendModel {
    private final GgufFile file;
    private final Transformer transformer;
    private final GgufTokenizer tokenizer;
    private final ComputePool pool;
    private final ModelInfo info;
    private final Map<String, String> chatTemplates;

    GgufModel(GgufFile file, Transformer transformer, GgufTokenizer tokenizer, ComputePool pool, ModelInfo info, Map<String, String> chatTemplates) {
        this.file = file;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.pool = pool;
        this.info = info;
        this.chatTemplates = Map.copyOf(chatTemplates);
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Vocabulary vocabulary() {
        return tokenizer.vocabulary();
    }

    /** Control tokens in the text (e.g. {@code <|im_start|>} from a chat template) become their ids, as in llama.cpp's server. */
    @Override
    public int[] encode(String text) {
        return text.isEmpty() ? new int[0] : tokenizer.encode(text, true);
    }

    @Override
    public int bosTokenId() {
        return tokenizer.bosId();
    }

    @Override
    public boolean addsBosToken() {
        return tokenizer.addBos() && tokenizer.bosId() >= 0;
    }

    @Override
    public Set<Integer> eosTokenIds() {
        return tokenizer.endOfGenerationIds();
    }

    @Override
    public int maxPositions() {
        return transformer.config().contextLength();
    }

    @Override
    public Map<String, String> chatTemplates() {
        return chatTemplates;
    }

    @Override
    public Map<String, String> specialTokenTexts() {
        return tokenizer.specialTokenTexts();
    }

    @Override
    public InferenceSession openSession() {
        return new GgufSession(transformer.newSequence(pool), pool.lock());
    }

    @Override
    public io.backstop.engine.backend.BatchRunner batchRunner(int maxSequences, int prefillTokens, long kvBytes) {
        return new GgufBatchRunner(transformer, pool, maxSequences + prefillTokens, kvBytes);
    }

    /** Mean of the final normalized hidden states over the tokens, L2-normalised (llama.cpp's mean pooling). */
    @Override
    public float[] embed(int[] tokens) {
        int dim = transformer.config().dim();
        float[] sum = new float[dim];
        ForwardPass pass = transformer.newSequence(pool);
        ReentrantLock turn = pool.lock();
        for (int off = 0; off < tokens.length; off += pass.capacity()) {
            int n = Math.min(pass.capacity(), tokens.length - off);
            turn.lock();
            try {
                pass.forward(tokens, off, n, n, null, sum, false);
            } finally {
                turn.unlock();
            }
        }
        double norm = 0;
        for (float v : sum) norm += (double) v * v;
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dim; i++) sum[i] *= inv;
        return sum;
    }

    /** The network, for benchmarks and tests that drive the forward pass directly. */
    public Transformer transformer() {
        return transformer;
    }

    @Override
    public void close() {
        pool.close();
        file.close();
    }
}
