package io.backstop.server.guard.secret;

import java.util.regex.Pattern;

/**
 * One secret pattern: {@code group} is the secret part of a match (0 = all of it); it must not be a
 * placeholder and must reach {@code minEntropy} bits per char (0 = no floor, for formats whose shape
 * alone proves them, like a GitHub token's prefix and length).
 */
public record SecretRule(String name, Pattern pattern, int group, double minEntropy) {
    static SecretRule of(String name, String regex, int group, double minEntropy) {
        return new SecretRule(name, Pattern.compile(regex), group, minEntropy);
    }
}
