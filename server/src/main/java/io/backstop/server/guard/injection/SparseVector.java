package io.backstop.server.guard.injection;

/** Hashed features of one text: sorted distinct indices and their values, L2-normalised. */
public record SparseVector(int[] index, float[] value, int size) {}
