package io.backstop.server.guard.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeSet;

/** Reads a guardrail JSON Lines file: every row has {@code text} or {@code text_base64}, {@code label} and optionally {@code source}. */
public final class GuardData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GuardData() {}

    /** The rows of a file; all injection rows or all PII rows, else {@link IllegalArgumentException} naming the line. */
    public static List<GuardRow> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("data file not found: " + file);
        List<GuardRow> rows = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                GuardRow r = parse(line, file.getFileName() + ":" + n);
                if (!rows.isEmpty() && rows.getFirst().isInjectionRow() != r.isInjectionRow()) {
                    throw new IllegalArgumentException(file.getFileName() + ":" + n + ": mixes injection labels and PII type lists in one file");
                }
                rows.add(r);
            }
        }
        if (rows.isEmpty()) throw new IllegalArgumentException(file + " holds no rows");
        return rows;
    }

    static GuardRow parse(String line, String where) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not a JSON object");
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException(where + ": not a JSON object");
        String text;
        if (n.path("text").isTextual()) text = n.get("text").asText();
        else if (n.path("text_base64").isTextual()) {
            try {
                text = new String(Base64.getDecoder().decode(n.get("text_base64").asText()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": text_base64 is not base64");
            }
        } else throw new IllegalArgumentException(where + ": needs a string 'text' or 'text_base64'");
        JsonNode label = n.path("label");
        String source = n.path("source").asText(where);
        if (label.isTextual()) {
            String l = label.asText();
            if (!l.equals("injection") && !l.equals("benign")) {
                throw new IllegalArgumentException(where + ": label must be \"injection\" or \"benign\", got \"" + l + "\"");
            }
            return new GuardRow(text, l.equals("injection"), null, source, line);
        }
        if (label.isArray()) {
            TreeSet<String> types = new TreeSet<>();
            for (JsonNode t : label) {
                if (!t.isTextual()) throw new IllegalArgumentException(where + ": label list must hold type names");
                types.add(t.asText());
            }
            return new GuardRow(text, null, types, source, line);
        }
        throw new IllegalArgumentException(where + ": label must be \"injection\"/\"benign\" or a list of entity types");
    }
}
