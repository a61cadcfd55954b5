package io.backstop.server.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server section's protections and API conveniences (the keys after {@code request_timeout_seconds}).
 *
 * @param headerTimeoutSeconds    longest time to receive a request's headers, from their first byte
 * @param bodyTimeoutSeconds      longest time to receive a request's body, from the end of its headers
 * @param maxConnectionsPerClient open connections one client address may hold (0 = no limit)
 * @param drainTimeoutSeconds     on SIGTERM, how long running generations may still take before they are ended
 * @param maxEmbeddingInputs      inputs in one /v1/embeddings request
 * @param maxEmbeddingTokens      tokens the inputs of one /v1/embeddings request may take together
 * @param corsOrigins             browser origins allowed to call the API ("*" for any); empty = no CORS headers
 * @param modelAliases            extra public names: alias → a model or route name
 */
public record HttpOptions(int headerTimeoutSeconds, int bodyTimeoutSeconds, int maxConnectionsPerClient, int drainTimeoutSeconds,
                          int maxEmbeddingInputs, int maxEmbeddingTokens, List<String> corsOrigins, Map<String, String> modelAliases) {
    public static final int DEFAULT_HEADER_TIMEOUT_SECONDS = 10;
    public static final int DEFAULT_BODY_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 64;
    public static final int DEFAULT_DRAIN_TIMEOUT_SECONDS = 30;
    public static final int DEFAULT_MAX_EMBEDDING_INPUTS = 256;
    public static final int DEFAULT_MAX_EMBEDDING_TOKENS = 32_768;

    public HttpOptions {
        corsOrigins = List.copyOf(corsOrigins);
        modelAliases = Collections.unmodifiableMap(new LinkedHashMap<>(modelAliases));
    }

    public static HttpOptions defaults() {
        return new HttpOptions(DEFAULT_HEADER_TIMEOUT_SECONDS, DEFAULT_BODY_TIMEOUT_SECONDS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
                DEFAULT_DRAIN_TIMEOUT_SECONDS, DEFAULT_MAX_EMBEDDING_INPUTS, DEFAULT_MAX_EMBEDDING_TOKENS, List.of(), Map.of());
    }

    public HttpOptions withTimeouts(int headerSeconds, int bodySeconds) {
        return new HttpOptions(headerSeconds, bodySeconds, maxConnectionsPerClient, drainTimeoutSeconds, maxEmbeddingInputs,
                maxEmbeddingTokens, corsOrigins, modelAliases);
    }

    public HttpOptions withMaxConnectionsPerClient(int n) {
        return new HttpOptions(headerTimeoutSeconds, bodyTimeoutSeconds, n, drainTimeoutSeconds, maxEmbeddingInputs,
                maxEmbeddingTokens, corsOrigins, modelAliases);
    }

    public HttpOptions withDrainTimeoutSeconds(int s) {
        return new HttpOptions(headerTimeoutSeconds, bodyTimeoutSeconds, maxConnectionsPerClient, s, maxEmbeddingInputs,
                maxEmbeddingTokens, corsOrigins, modelAliases);
    }

    public HttpOptions withEmbeddingLimits(int inputs, int tokens) {
        return new HttpOptions(headerTimeoutSeconds, bodyTimeoutSeconds, maxConnectionsPerClient, drainTimeoutSeconds, inputs,
                tokens, corsOrigins, modelAliases);
    }

    public HttpOptions withCorsOrigins(List<String> origins) {
        return new HttpOptions(headerTimeoutSeconds, bodyTimeoutSeconds, maxConnectionsPerClient, drainTimeoutSeconds, maxEmbeddingInputs,
                maxEmbeddingTokens, origins, modelAliases);
    }

    public HttpOptions withModelAliases(Map<String, String> aliases) {
        return new HttpOptions(headerTimeoutSeconds, bodyTimeoutSeconds, maxConnectionsPerClient, drainTimeoutSeconds, maxEmbeddingInputs,
                maxEmbeddingTokens, corsOrigins, aliases);
    }
}
