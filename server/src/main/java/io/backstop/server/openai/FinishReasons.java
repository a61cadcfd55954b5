package io.backstop.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backstop.engine.FinishReason;
import io.backstop.engine.GenerationResult;
import java.util.List;

/**
 * OpenAI's finish_reason values. A cancelled generation nobody is waiting for is reported as "stop".
 * When the engine says why a generation ended early (the KV cache budget is spent, the client did not
 * keep up), the choice also carries {@code "finish_detail"}: OpenAI's SDKs keep fields they do not know.
 */
final class FinishReasons {
    static final String DETAIL = "finish_detail";

    private FinishReasons() {}

    static String of(FinishReason r) {
        return r == FinishReason.LENGTH ? "length" : "stop";
    }

    /** Adds each result's finish detail to its choice of a whole response. */
    static void choiceDetails(ObjectNode response, List<GenerationResult> results) {
        JsonNode choices = response.get("choices");
        if (choices == null) return;
        for (int i = 0; i < results.size() && i < choices.size(); i++) {
            String d = results.get(i).finishDetail();
            if (d != null && choices.get(i) instanceof ObjectNode c) c.put(DETAIL, d);
        }
    }

    /** Adds the finish detail to the one choice of a stream's last chunk for it; returns the chunk. */
    static ObjectNode chunkDetail(ObjectNode chunk, String detail) {
        if (detail != null && chunk.get("choices") instanceof com.fasterxml.jackson.databind.node.ArrayNode a && a.get(0) instanceof ObjectNode c) {
            c.put(DETAIL, detail);
        }
        return chunk;
    }
}
