package io.backstop.engine.backend.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import io.backstop.engine.ModelInfo;
import io.backstop.engine.backend.BackendModel;
import io.backstop.engine.backend.InferenceSession;
import io.backstop.engine.backend.Vocabulary;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/** A model loaded by Jlama, seen through our backend interface. */
public final class JlamaModel implements BackendModel {
    private final AbstractModel model;
    private final KvCacheFolder kvFolder;
    private final ModelInfo info;
    private final JlamaVocabulary vocabulary;
    private final Set<Integer> eosIds;
    private final Map<String, String> chatTemplates;
    private final Map<String, String> specialTokenTexts;
    private final boolean addsBos;
    private final FastBpe fastBpe;
    /** Fair, so sessions of concurrent requests take turns token by token. */
    private final ReentrantLock forwardLock = new ReentrantLock(true);

    JlamaModel(AbstractModel model, KvCacheFolder kvFolder, ModelInfo info, Set<Integer> eosIds, boolean addsBos,
               Map<String, String> chatTemplates, Map<String, String> specialTokenTexts) {
        this.model = model;
        this.kvFolder = kvFolder;
        this.addsBos = addsBos && model.getConfig().bosToken >= 0;
        this.info = info;
        this.vocabulary = new JlamaVocabulary(model.getTokenizer(), model.getConfig().vocabularySize);
        this.fastBpe = FastBpe.forModel(model.getTokenizer().getModel());
        this.eosIds = Set.copyOf(eosIds);
        this.chatTemplates = Map.copyOf(chatTemplates);
        this.specialTokenTexts = Map.copyOf(specialTokenTexts);
    }

    /**
     * Jlama's GQA RoPE reads its frequency table at position + 2·(kv head index), so it overruns the
     * table once position reaches contextLength − 2·(kvHeads − 1). We stop before that.
     */
    static int maxPositions(Config c) {
        return c.isGQA ? c.contextLength - 2 * (c.numberOfKeyValueHeads - 1) : c.contextLength;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    @Override
    public int[] encode(String text) {
        if (text.isEmpty()) return new int[0];
        if (fastBpe != null) return fastBpe.encode(text);
        return Arrays.stream(model.getTokenizer().encode(text)).mapToInt(Math::toIntExact).toArray();
    }

    @Override
    public int bosTokenId() {
        return model.getConfig().bosToken;
    }

    @Override
    public boolean addsBosToken() {
        return addsBos;
    }

    @Override
    public Set<Integer> eosTokenIds() {
        return eosIds;
    }

    @Override
    public int maxPositions() {
        return maxPositions(model.getConfig());
    }

    @Override
    public Map<String, String> chatTemplates() {
        return chatTemplates;
    }

    @Override
    public Map<String, String> specialTokenTexts() {
        return specialTokenTexts;
    }

    @Override
    public InferenceSession openSession() {
        return new JlamaSession(model, forwardLock, kvFolder);
    }

    /**
     * Mean of the last layer's hidden states over the tokens, L2-normalised (Jlama's AVG pooling, as
     * llama.cpp embeds with generative models). Holds the forward lock: it runs forward passes too.
     */
    @Override
    public float[] embed(int[] tokens) {
        int dim = model.getConfig().embeddingLength;
        float[] out = new float[dim];
        forwardLock.lock();
        try (KvBufferCache.KvBuffer kv = new KvBufferCache(model).getEphemeralKvBuffer()) {
            int off = 0;
            while (off < tokens.length) { // in the chunk sizes Jlama's batched matmul computes whole
                int n = JlamaSession.nextChunk(tokens.length - off);
                try (AbstractTensor hidden = model.batchForward(java.util.Arrays.copyOfRange(tokens, off, off + n), off, kv)) {
                    for (int t = 0; t < n; t++) {
                        AbstractTensor row = hidden.slice(t);
                        for (int i = 0; i < dim; i++) out[i] += row.get(0, i) / tokens.length;
                    }
                }
                off += n;
            }
        } finally {
            forwardLock.unlock();
        }
        double norm = 0;
        for (float v : out) norm += v * v;
        float inv = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dim; i++) out[i] *= inv;
        return out;
    }

    /** The underlying Jlama model, for benchmarks that compare against Jlama's own generate(). */
    public AbstractModel jlama() {
        return model;
    }

    @Override
    public void close() {
        try {
            model.close();
        } finally {
            kvFolder.close();
        }
    }
}
