package io.backstop.engine.backend.gguf.tokenizer;

import java.util.Arrays;

/** A growable list of ints: token ids collected while encoding, without boxing. */
final class IntList {
    private int[] items = new int[16];
    private int size;

    void add(int value) {
        if (size == items.length) items = Arrays.copyOf(items, size * 2);
        items[size++] = value;
    }

    int[] toArray() {
        return Arrays.copyOf(items, size);
    }
}
