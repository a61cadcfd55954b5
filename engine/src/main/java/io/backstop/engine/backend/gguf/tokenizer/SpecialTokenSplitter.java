package io.backstop.engine.backend.gguf.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Cuts text into plain-text fragments and special tokens written in it, before the tokenizer proper
 * sees the plain parts (llama.cpp's {@code tokenizer_st_partition}). User-defined tokens (e.g.
 * {@code <think>}) are always cut out; control and unknown tokens (e.g. {@code <|im_start|>}) only when
 * special tokens are parsed. Longer tokens are cut first, each across every remaining fragment, which
 * decides overlaps the way llama.cpp does. Some models strip whitespace beside their special tokens
 * (Phi-3: after them), which llama.cpp knows by the model's name; so do we.
 */
final class SpecialTokenSplitter {
    /** A plain-text span {@code [start, end)} of the input, or a token ({@code token >= 0}). */
    record Fragment(int start, int end, int token) {
        static Fragment text(int start, int end) {
            return new Fragment(start, end, -1);
        }

        boolean isToken() {
            return token >= 0;
        }
    }

    private record Special(int id, String text, boolean control, boolean stripAfter) {}

    private final List<Special> specials;

    private SpecialTokenSplitter(List<Special> specials) {
        this.specials = specials;
    }

    /** The special tokens of a table, with the whitespace rules of the model named {@code modelName}. */
    static SpecialTokenSplitter of(TokenTable table, String modelName) {
        String name = modelName == null ? "" : modelName.toLowerCase(Locale.ROOT);
        boolean phi3 = name.contains("phi-3") || name.contains("phi3");
        List<Special> specials = new ArrayList<>();
        for (int id = 0; id < table.size(); id++) {
            TokenType type = table.type(id);
            String text = table.text(id);
            if (text.isEmpty() || (type != TokenType.CONTROL && type != TokenType.USER_DEFINED && type != TokenType.UNKNOWN)) continue;
            boolean stripAfter = phi3 && !text.equals("<unk>") && !text.equals("<s>") && !text.equals("<|endoftext|>");
            specials.add(new Special(id, text, type != TokenType.USER_DEFINED, stripAfter));
        }
        specials.sort(Comparator.comparingInt((Special s) -> s.text().length()).reversed()); // stable: ties keep id order
        return new SpecialTokenSplitter(List.copyOf(specials));
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        if (text.isEmpty()) return List.of();
        List<Fragment> fragments = List.of(Fragment.text(0, text.length()));
        for (Special s : specials) {
            if ((s.control() && !parseSpecial) || !text.contains(s.text())) continue;
            List<Fragment> next = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (f.isToken()) next.add(f);
                else cut(text, f.start(), f.end(), s, next);
            }
            fragments = next;
        }
        return fragments;
    }

    private static void cut(String text, int start, int end, Special s, List<Fragment> out) {
        int from = start;
        int at;
        while ((at = text.indexOf(s.text(), from, end)) >= 0) {
            if (at > from) out.add(Fragment.text(from, at));
            out.add(new Fragment(at, at + s.text().length(), s.id()));
            from = at + s.text().length();
            if (s.stripAfter()) {
                while (from < end && isAsciiSpace(text.charAt(from))) from++;
            }
        }
        if (from < end) out.add(Fragment.text(from, end));
    }

    /** C's isspace(), which llama.cpp strips with. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
