package io.backstop.server.http;

import io.backstop.server.openai.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Bearer-token check. Keys are kept only as SHA-256 digests and compared with MessageDigest.isEqual
 * over equal-length digests, so neither timing nor logs reveal them.
 */
public final class ApiKeyAuth {
    private final List<byte[]> digests;

    public ApiKeyAuth(List<String> keys) {
        this.digests = keys.stream().map(ApiKeyAuth::sha256).toList();
    }

    public boolean enabled() {
        return !digests.isEmpty();
    }

    /** Throws 401 unless the Authorization header carries one of the keys. */
    public void check(String authorization) {
        if (!enabled()) return;
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.unauthorized("missing API key: send 'Authorization: Bearer <key>'");
        }
        String prefix = "Bearer ";
        if (!authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw ApiException.unauthorized("the Authorization header must be 'Bearer <key>'");
        }
        byte[] given = sha256(authorization.substring(prefix.length()).trim());
        boolean ok = false;
        for (byte[] d : digests) ok |= MessageDigest.isEqual(d, given); // no early exit
        if (!ok) throw ApiException.unauthorized("invalid API key");
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
