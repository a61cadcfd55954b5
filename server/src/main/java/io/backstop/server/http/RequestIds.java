package io.backstop.server.http;

import java.util.UUID;
import java.util.regex.Pattern;

/** X-Request-Id: the client's when it is a sane token, otherwise a fresh one. */
final class RequestIds {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

    private RequestIds() {}

    static String choose(String fromClient) {
        if (fromClient != null && SAFE.matcher(fromClient).matches()) return fromClient;
        return "req_" + UUID.randomUUID().toString().replace("-", "");
    }
}
