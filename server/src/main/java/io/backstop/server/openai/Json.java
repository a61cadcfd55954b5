package io.backstop.server.openai;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** The one ObjectMapper of the API layer, and the error body. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static String write(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode error(ApiException e) {
        ObjectNode root = object();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) err.putNull("param");
        else err.put("param", e.param());
        if (e.code() == null) err.putNull("code");
        else err.put("code", e.code());
        return root;
    }

    /** Parses a request body; malformed JSON, text after it, or a non-object is a 400 that says where it broke. */
    public static JsonNode parseBody(byte[] body) {
        if (body.length == 0) throw ApiException.invalid(null, "the request body is empty; send a JSON object");
        JsonNode n;
        try (JsonParser p = MAPPER.createParser(body)) {
            n = MAPPER.readTree(p);
            JsonLocation end = p.currentLocation();
            boolean more;
            try {
                more = p.nextToken() != null;
            } catch (IOException trailingGarbage) {
                more = true;
            }
            if (more) throw ApiException.invalid(null, JsonErrors.trailing(end));
        } catch (IOException e) {
            throw ApiException.invalid(null, JsonErrors.describe(e));
        }
        if (n == null || n.isMissingNode() || !n.isObject()) throw ApiException.invalid(null, "the request body must be a JSON object");
        return n;
    }
}
