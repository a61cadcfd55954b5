package io.backstop.server.guard.output;

import io.backstop.server.guard.CheckResult;
import java.util.List;

/**
 * What the output guard lets through for one delta: the text to send now (may be empty while it holds
 * text back), and, when the answer must end here, the finish reason ({@code content_filter} for a
 * block, {@code length} for the maximum length; null while the answer goes on).
 */
public record OutputChunk(String text, String finishReason, List<CheckResult> results) {
    public OutputChunk {
        results = List.copyOf(results);
    }

    public boolean stopped() {
        return finishReason != null;
    }
}
