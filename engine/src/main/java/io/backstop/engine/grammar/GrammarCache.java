package io.backstop.engine.grammar;

import io.backstop.engine.backend.Vocabulary;
import io.backstop.engine.grammar.automaton.AutomatonCompiler;
import io.backstop.engine.grammar.mask.GrammarMatcher;
import io.backstop.engine.grammar.mask.TokenMasks;
import io.backstop.engine.grammar.mask.VocabIndex;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model's compiled grammars, by spec (least recently used dropped beyond a bound): a repeated
 * schema costs nothing, and its token masks, filled as requests reach new states, keep serving.
 */
public final class GrammarCache {
    public static final int DEFAULT_CAPACITY = 64;

    private final Vocabulary vocabulary;
    private final int capacity;
    private final Map<ConstraintSpec, TokenMasks> cache;

    public GrammarCache(Vocabulary vocabulary) {
        this(vocabulary, DEFAULT_CAPACITY);
    }

    public GrammarCache(Vocabulary vocabulary, int capacity) {
        this.vocabulary = vocabulary;
        this.capacity = capacity;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ConstraintSpec, TokenMasks> eldest) {
                return size() > GrammarCache.this.capacity;
            }
        };
    }

    /**
     * The compiled grammar of a spec, compiled on first use.
     *
     * @throws GrammarException when the spec cannot be compiled (the message names the keyword at fault)
     */
    public TokenMasks compile(ConstraintSpec spec) {
        synchronized (cache) {
            TokenMasks known = cache.get(spec);
            if (known != null) return known;
        }
        TokenMasks masks = new TokenMasks(AutomatonCompiler.compile(spec.toGrammar()), VocabIndex.of(vocabulary));
        synchronized (cache) {
            TokenMasks raced = cache.putIfAbsent(spec, masks);
            return raced != null ? raced : masks;
        }
    }

    /** A fresh matcher for one request; {@code endTokens} (EOS and stop ids) are allowed only once the document is complete. */
    public GrammarMatcher matcher(ConstraintSpec spec, Collection<Integer> endTokens) {
        return compile(spec).newMatcher(endTokens.stream().mapToInt(Integer::intValue).distinct().toArray());
    }

    public int size() {
        synchronized (cache) {
            return cache.size();
        }
    }
}
