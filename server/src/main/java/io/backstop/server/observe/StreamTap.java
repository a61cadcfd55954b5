package io.backstop.server.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Watches a relayed upstream stream at the cost of a counter and a timestamp per event: it parses only
 * the usage event at the end (the server asks providers for it with {@code stream_options.include_usage}),
 * and each event only when the text is wanted (content logging, or a sample for the judge).
 */
public final class StreamTap {
    static final StreamTap NONE = new StreamTap(null, false, false);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Attempt attempt;
    private final boolean chat;
    private final StringBuilder text;
    private int events;
    private long lastNanos;
    private String model;
    private String finish;

    StreamTap(Attempt attempt, boolean chat, boolean wantsText) {
        this.attempt = attempt;
        this.chat = chat;
        this.text = wantsText ? new StringBuilder() : null;
    }

    /** Whether {@code data} is the provider's usage-only event ({@code "choices":[]} with usage), which the client may not have asked for. */
    public static boolean isUsageOnly(String data) {
        return data.indexOf("\"choices\":[]") >= 0 && data.indexOf("\"usage\"") >= 0;
    }

    /** A content event the client receives. */
    public void event(String data) {
        if (attempt == null) return;
        events++;
        lastNanos = System.nanoTime();
        if (text != null) collect(data);
    }

    /**
     * The usage event: records tokens and cost; returns the event to pass on with {@code usage.cost_usd}
     * added (when the model is priced), or the event as it was.
     */
    public String usage(String data) {
        if (attempt == null) return data;
        try {
            JsonNode n = JSON.readTree(data);
            Double cost = attempt.usage(n.path("usage"));
            if (n.hasNonNull("model")) model = n.get("model").asText();
            if (cost == null || !n.path("usage").isObject()) return data;
            ((ObjectNode) n.get("usage")).put("cost_usd", cost);
            return JSON.writeValueAsString(n);
        } catch (Exception e) {
            return data;
        }
    }

    private void collect(String data) {
        try {
            JsonNode n = JSON.readTree(data);
            if (model == null && n.hasNonNull("model")) model = n.get("model").asText();
            JsonNode c = n.path("choices").path(0);
            text.append(chat ? c.path("delta").path("content").asText("") : c.path("text").asText(""));
            if (c.hasNonNull("finish_reason")) finish = c.get("finish_reason").asText();
        } catch (Exception ignored) {
            // an event the relay already checked is JSON; nothing to collect otherwise
        }
    }

    /** The stream ended (with [DONE] or broken off). */
    public void end() {
        if (attempt != null) attempt.streamEnded(events, lastNanos, text == null ? null : text.toString(), model, finish);
    }
}
