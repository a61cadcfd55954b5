package io.backstop.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Reads the {@link HttpOptions} keys of the server section, as strictly as {@link ConfigLoader} reads the rest. */
final class HttpOptionsReader {
    private HttpOptionsReader() {}

    /**
     * @param usedNames names of models, providers and routes (an alias must not shadow one)
     */
    static HttpOptions read(JsonNode server, Set<String> usedNames, List<ModelConfig> models, List<RouteConfig> routes) {
        HttpOptions d = HttpOptions.defaults();
        return new HttpOptions(
                ConfigLoader.integer(server, "header_timeout_seconds", "server.header_timeout_seconds", d.headerTimeoutSeconds(), 1, 3600),
                ConfigLoader.integer(server, "body_timeout_seconds", "server.body_timeout_seconds", d.bodyTimeoutSeconds(), 1, 3600),
                ConfigLoader.integer(server, "max_connections_per_client", "server.max_connections_per_client", d.maxConnectionsPerClient(), 0, 100_000),
                ConfigLoader.integer(server, "drain_timeout_seconds", "server.drain_timeout_seconds", d.drainTimeoutSeconds(), 0, 86_400),
                ConfigLoader.integer(server, "max_embedding_inputs", "server.max_embedding_inputs", d.maxEmbeddingInputs(), 1, 100_000),
                ConfigLoader.integer(server, "max_embedding_tokens", "server.max_embedding_tokens", d.maxEmbeddingTokens(), 1, Integer.MAX_VALUE),
                origins(ConfigLoader.strings(server, "cors_origins", "server.cors_origins")),
                aliases(server, usedNames, models, routes));
    }

    /** "*" or scheme://host[:port], as browsers send them in Origin (a trailing slash is dropped). */
    static List<String> origins(List<String> given) {
        List<String> out = new ArrayList<>();
        for (String o : given) {
            String origin = o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
            if (!origin.equals("*")) {
                URI uri;
                try {
                    uri = URI.create(origin);
                } catch (IllegalArgumentException e) {
                    throw invalidOrigin(o);
                }
                boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
                if (!web || uri.getHost() == null || !uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getUserInfo() != null) {
                    throw invalidOrigin(o);
                }
            }
            out.add(origin);
        }
        return out;
    }

    private static ConfigException invalidOrigin(String o) {
        return new ConfigException("server.cors_origins: '" + o + "' is not an origin; write scheme://host[:port] (e.g. https://app.example.com) or '*'");
    }

    private static Map<String, String> aliases(JsonNode server, Set<String> usedNames, List<ModelConfig> models, List<RouteConfig> routes) {
        JsonNode n = ConfigLoader.object(server, "model_aliases", "server.model_aliases");
        Set<String> targets = new TreeSet<>();
        models.forEach(m -> targets.add(m.name()));
        routes.forEach(r -> targets.add(r.name()));
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = "server.model_aliases." + e.getKey();
            if (e.getKey().isBlank()) throw new ConfigException("server.model_aliases: an alias must not be empty");
            if (usedNames.contains(e.getKey())) {
                throw new ConfigException(key + ": '" + e.getKey() + "' is already the name of a model, provider or route");
            }
            if (!e.getValue().isTextual()) throw new ConfigException(key + " must name a model or route");
            String target = e.getValue().asText();
            if (!targets.contains(target)) {
                throw new ConfigException(key + ": unknown model or route '" + target + "' (known: " + String.join(", ", targets) + ")");
            }
            out.put(e.getKey(), target);
        }
        return out;
    }
}
