package io.backstop.server.route;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Checks one upstream stream event without building a tree: it must be one JSON object, and an object
 * with a top-level, non-null "error" is an error event (some providers report failures mid-stream that way).
 */
final class UpstreamEvents {
    enum Verdict { OK, ERROR, NOT_JSON }

    private static final JsonFactory JSON = new JsonFactory();

    private UpstreamEvents() {}

    static Verdict check(String data) {
        try (JsonParser p = JSON.createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return Verdict.NOT_JSON;
            boolean error = false;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                boolean isError = p.currentName().equals("error");
                if (p.nextToken() != JsonToken.VALUE_NULL && isError) error = true;
                p.skipChildren();
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) return Verdict.NOT_JSON;
            return error ? Verdict.ERROR : Verdict.OK;
        } catch (IOException e) {
            return Verdict.NOT_JSON;
        }
    }
}
