package io.backstop.server.config;

/** Per-model defaults for request fields a client leaves out (null = the API's own default). */
public record RequestDefaults(Integer maxTokens, Double temperature, Double topP, Integer topK, Double minP,
                              Double repetitionPenalty) {
    public static RequestDefaults none() {
        return new RequestDefaults(null, null, null, null, null, null);
    }
}
