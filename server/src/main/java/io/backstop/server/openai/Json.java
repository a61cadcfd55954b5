package io.backstop.server.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

    /** Parses a request body; malformed JSON or a non-object is a 400 that says where it broke. */
    public static JsonNode parseBody(byte[] body) {
        if (body.length == 0) throw ApiException.invalid(null, "the request body is empty; send a JSON object");
        JsonNode n;
        try {
            n = MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            int nl = m.indexOf('\n');
            String first = nl < 0 ? m : m.substring(0, nl);
            String where = e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null
                    ? " (line " + jpe.getLocation().getLineNr() + ", column " + jpe.getLocation().getColumnNr() + ")" : "";
            throw ApiException.invalid(null, "could not parse the JSON body: " + first + where);
        }
        if (n == null || !n.isObject()) throw ApiException.invalid(null, "the request body must be a JSON object");
        return n;
    }
}
