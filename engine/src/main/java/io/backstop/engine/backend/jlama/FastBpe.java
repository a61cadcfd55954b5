package io.backstop.engine.backend.jlama;

import com.github.tjake.jlama.safetensors.tokenizer.TokenizerModel;
import io.backstop.engine.text.BpeMerger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;

/**
 * Jlama's BPE encoding for sentencepiece-style vocabularies (byte fallback, no pre-tokenizer), with the
 * same result, in O(n log n) instead of O(n²): Jlama rescans every pair after each merge, which takes
 * seconds for a few thousand characters because such tokenizers see the whole prompt as one word.
 * Merges are applied lowest rank first, leftmost first among equals, exactly as Jlama does.
 */
final class FastBpe {
    private final TokenizerModel model;
    private final int byteOffset;
    private final Long unkId;

    private FastBpe(TokenizerModel model) {
        this.model = model;
        this.byteOffset = Math.max(0, model.vocabLookup.getOrDefault("<0x00>", -1L).intValue());
        this.unkId = model.unkToken == null ? null : model.vocabLookup.get(model.unkToken);
    }

    /** Only for the tokenizers whose Jlama encoding is quadratic; others keep Jlama's encoder. */
    static FastBpe forModel(TokenizerModel m) {
        boolean sentencepieceStyle = m.preTokenizer() == null && m.byteFallback && "BPE".equals(m.type) && !m.ignoreMerges();
        return sentencepieceStyle ? new FastBpe(m) : null;
    }

    int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        for (String piece : splitOnAddedTokens(text)) {
            if (piece.isEmpty()) continue;
            Long added = model.addedTokens() == null ? null : model.addedTokens().get(piece);
            if (added != null) {
                out.add(added.intValue());
                continue;
            }
            encodeWord(model.normalizer() != null ? model.normalizer().normalize(piece) : piece, out);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private List<String> splitOnAddedTokens(String text) {
        if (model.addedTokenPattern() == null) return List.of(text);
        List<String> pieces = new ArrayList<>();
        Matcher m = model.addedTokenPattern().matcher(text);
        int index = 0;
        while (m.find()) {
            pieces.add(text.substring(index, m.start()));
            pieces.add(m.group());
            index = m.end();
        }
        pieces.add(text.substring(index));
        return pieces;
    }

    private void encodeWord(String word, List<Integer> out) {
        // initial symbols: a vocabulary entry per character, else its UTF-8 bytes, else <unk>
        List<Integer> initial = new ArrayList<>();
        word.codePoints().forEach(cp -> {
            Long id = model.vocabLookup.get(Character.toString(cp));
            if (id != null) initial.add(id.intValue());
            else if (model.byteFallback) {
                for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) initial.add(Byte.toUnsignedInt(b) + byteOffset);
            } else if (unkId != null) initial.add(unkId.intValue());
        });
        int[] ids = initial.stream().mapToInt(Integer::intValue).toArray();
        int[] lengths = new int[ids.length];
        Arrays.fill(lengths, 1);
        int n = BpeMerger.merge(ids, lengths, ids.length, this::merge);
        for (int i = 0; i < n; i++) out.add(ids[i]);
    }

    /** Jlama's rule: the merge rank of the two symbols' texts, lowest first. */
    private long merge(int leftId, int rightId, int start, int mid, int end) {
        String left = symbolText(leftId), right = symbolText(rightId);
        Long rank = model.merges.get(left + " " + right);
        if (rank == null) return BpeMerger.NONE;
        Long merged = model.vocabLookup.get(left + right);
        return merged == null ? BpeMerger.NONE : BpeMerger.pack(Math.toIntExact(rank), merged.intValue());
    }

    /** What Jlama compares during merges: byte tokens stand for the character with that code. */
    private String symbolText(int id) {
        if (model.byteFallback && byteOffset > 0 && id >= byteOffset && id < byteOffset + 256) return Character.toString((char) (id - byteOffset));
        String s = model.vocabLookup.inverse().get((long) id);
        return s == null ? model.unkToken : s;
    }
}
