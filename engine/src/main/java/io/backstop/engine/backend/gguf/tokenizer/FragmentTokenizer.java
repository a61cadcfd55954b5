package io.backstop.engine.backend.gguf.tokenizer;

import io.backstop.engine.backend.Vocabulary;
import java.util.Map;
import java.util.Set;

/**
 * What both GGUF tokenizers share: special tokens are cut out of the text first, then each plain
 * fragment goes to the model type's encoder.
 */
abstract class FragmentTokenizer implements GgufTokenizer {
    final TokenTable table;
    final SpecialTokens specials;
    private final SpecialTokenSplitter splitter;
    private final Map<String, String> specialTexts;
    private final Vocabulary vocabulary;

    FragmentTokenizer(TokenTable table, SpecialTokens specials, SpecialTokenSplitter splitter, Vocabulary vocabulary) {
        this.table = table;
        this.specials = specials;
        this.splitter = splitter;
        this.specialTexts = specials.texts(table);
        this.vocabulary = vocabulary;
    }

    /**
     * Encodes plain text {@code text[start, end)}.
     *
     * @param afterSpecial true at the start of the text and right after a special token
     */
    abstract void encodePlain(String text, int start, int end, boolean afterSpecial, IntList out);

    @Override
    public final int[] encode(String text, boolean parseSpecial) {
        IntList out = new IntList();
        boolean afterSpecial = true;
        for (SpecialTokenSplitter.Fragment f : splitter.split(text, parseSpecial)) {
            if (f.isToken()) {
                out.add(f.token());
                afterSpecial = true;
            } else {
                encodePlain(text, f.start(), f.end(), afterSpecial, out);
                afterSpecial = false;
            }
        }
        return out.toArray();
    }

    @Override
    public final Vocabulary vocabulary() {
        return vocabulary;
    }

    @Override
    public final int bosId() {
        return specials.bos();
    }

    @Override
    public final boolean addBos() {
        return specials.addBos();
    }

    @Override
    public final Set<Integer> endOfGenerationIds() {
        return specials.endOfGeneration();
    }

    @Override
    public final Map<String, String> specialTokenTexts() {
        return specialTexts;
    }
}
