package io.backstop.server.guard;

/** One piece of a request the guard inspects: a chat message's role and text, or a prompt/input with role "user". */
public record GuardMessage(String role, String text) {}
