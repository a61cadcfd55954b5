package io.backstop.engine.grammar.mask;

import java.util.Arrays;

/**
 * A parse configuration after some bytes: the frames on top of every live stack (each one able to
 * advance), plus whether some stack ended the document ({@code complete}) or popped below the known
 * stack ({@code bottom}). {@code members} are the same stacks with calls expanded: the frames that
 * consume the next byte, computed once per level.
 */
final class Level {
    int[] roots = new int[8];
    int size;
    boolean complete, bottom;
    int minDist;
    int[] members = new int[8];
    int memberCount = -1; // -1: not expanded yet

    void reset() {
        size = 0;
        complete = false;
        bottom = false;
        minDist = Integer.MAX_VALUE;
        memberCount = -1;
    }

    void add(int node, int dist) {
        if (size == roots.length) roots = Arrays.copyOf(roots, size * 2);
        roots[size++] = node;
        if (dist < minDist) minDist = dist;
    }

    void addMember(int node) {
        if (memberCount == members.length) members = Arrays.copyOf(members, memberCount * 2);
        members[memberCount++] = node;
    }

    boolean alive() {
        return size > 0 || complete || bottom;
    }

    /** Fewest bytes that complete the document from here. */
    int distance() {
        return complete ? 0 : minDist;
    }

    void copyFrom(Level o) {
        reset();
        if (roots.length < o.size) roots = Arrays.copyOf(o.roots, o.roots.length);
        System.arraycopy(o.roots, 0, roots, 0, o.size);
        size = o.size;
        complete = o.complete;
        bottom = o.bottom;
        minDist = o.minDist;
    }
}
