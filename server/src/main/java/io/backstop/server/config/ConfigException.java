package io.backstop.server.config;

/** A configuration problem; the message names the key (e.g. {@code models[0].path}). */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
