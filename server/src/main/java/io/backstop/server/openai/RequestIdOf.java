package io.backstop.server.openai;

import io.javalin.http.Context;

/** The request id the HTTP layer assigned (echoed from X-Request-Id or generated). */
public final class RequestIdOf {
    public static final String ATTRIBUTE = "backstop.requestId";

    private RequestIdOf() {}

    public static String get(Context ctx) {
        Object id = ctx.attribute(ATTRIBUTE);
        return id == null ? "-" : id.toString();
    }
}
