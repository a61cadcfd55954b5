package io.backstop.server.guard;

import java.util.List;

/**
 * A parsed request as the guard sees it: which endpoint, who asks ({@code user} from the request, may be
 * null) and its texts in order (chat messages; a completion prompt or embedding inputs as "user" texts).
 */
public record GuardRequest(String requestId, Kind kind, String model, String user, List<GuardMessage> messages) {
    public enum Kind { CHAT, COMPLETION, EMBEDDING }

    public GuardRequest {
        messages = List.copyOf(messages);
    }

    /** The same request with other texts (after redaction). */
    public GuardRequest withMessages(List<GuardMessage> m) {
        return new GuardRequest(requestId, kind, model, user, m);
    }
}
