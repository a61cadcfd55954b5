package io.backstop.server.openai;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.util.List;

/** Jackson's parse errors told in our words: where the body broke, never the library's feature and limit names. */
final class JsonErrors {
    /** Where Jackson's own advice starts: enable this feature, that limit comes from… */
    private static final List<String> ADVICE = List.of(": enable", "; enable", " (not recognized", "(from `", " from `", "JsonReadFeature",
            "StreamReadConstraints", "Feature '", "(bound as", " (for ", "\n");

    private JsonErrors() {}

    static String describe(IOException e) {
        String where = where(e);
        if (e instanceof StreamConstraintsException) {
            return "the JSON body is nested too deeply, or holds a number or string that is too long" + where;
        }
        if (e instanceof JsonEOFException) return "the JSON body ends before it is complete" + where;
        String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return "could not parse the JSON body: " + clean(message) + where;
    }

    /** @param end where the JSON value ended */
    static String trailing(JsonLocation end) {
        return "the JSON body has more text after its end" + (end == null ? "" : " (after line " + end.getLineNr() + ", column " + end.getColumnNr() + ")");
    }

    static String clean(String message) {
        if (message == null || message.isBlank()) return "malformed JSON";
        String m = message;
        for (String a : ADVICE) {
            int at = m.indexOf(a);
            if (at > 0) m = m.substring(0, at);
        }
        m = m.replace("`", "").strip();
        while (m.endsWith(":") || m.endsWith(";") || m.endsWith(",")) m = m.substring(0, m.length() - 1).strip();
        return m.length() > 200 ? m.substring(0, 200) + "…" : m;
    }

    private static String where(IOException e) {
        JsonLocation l = e instanceof JsonProcessingException j ? j.getLocation() : null;
        return l == null || l.getLineNr() < 0 ? "" : " (line " + l.getLineNr() + ", column " + l.getColumnNr() + ")";
    }
}
