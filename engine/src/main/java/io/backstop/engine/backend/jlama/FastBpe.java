package io.backstop.engine.backend.jlama;

import com.github.tjake.jlama.safetensors.tokenizer.TokenizerModel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
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

    /** A candidate merge of the symbols at left and right, valid while neither changed since. */
    private record Pair(long rank, int left, int right, int leftVersion, int rightVersion, int merged) {}

    private void encodeWord(String word, List<Integer> out) {
        // initial symbols: a vocabulary entry per character, else its UTF-8 bytes, else <unk>
        List<Integer> ids = new ArrayList<>();
        word.codePoints().forEach(cp -> {
            Long id = model.vocabLookup.get(Character.toString(cp));
            if (id != null) ids.add(id.intValue());
            else if (model.byteFallback) {
                for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) ids.add(Byte.toUnsignedInt(b) + byteOffset);
            } else if (unkId != null) ids.add(unkId.intValue());
        });
        int n = ids.size();
        String[] text = new String[n];
        int[] id = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        int[] version = new int[n];
        boolean[] alive = new boolean[n];
        for (int i = 0; i < n; i++) {
            id[i] = ids.get(i);
            text[i] = symbolText(id[i]);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            alive[i] = true;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.rank() != b.rank() ? Long.compare(a.rank(), b.rank()) : Integer.compare(a.left(), b.left()));
        for (int i = 0; i + 1 < n; i++) offer(queue, text, version, i, i + 1, id);
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            int l = p.left(), r = p.right();
            if (!alive[l] || !alive[r] || version[l] != p.leftVersion() || version[r] != p.rightVersion() || next[l] != r) continue;
            text[l] = text[l] + text[r];
            id[l] = p.merged();
            version[l]++;
            alive[r] = false;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(queue, text, version, prev[l], l, id);
            if (next[l] >= 0) offer(queue, text, version, l, next[l], id);
        }
        for (int i = 0; i < n; i++) if (alive[i]) out.add(id[i]);
    }

    private void offer(PriorityQueue<Pair> queue, String[] text, int[] version, int left, int right, int[] id) {
        Long rank = model.merges.get(text[left] + " " + text[right]);
        if (rank == null) return;
        Long merged = model.vocabLookup.get(text[left] + text[right]);
        if (merged == null) return;
        queue.add(new Pair(rank, left, right, version[left], version[right], merged.intValue()));
    }

    /** What Jlama compares during merges: byte tokens stand for the character with that code. */
    private String symbolText(int id) {
        if (model.byteFallback && byteOffset > 0 && id >= byteOffset && id < byteOffset + 256) return Character.toString((char) (id - byteOffset));
        String s = model.vocabLookup.inverse().get((long) id);
        return s == null ? model.unkToken : s;
    }
}
