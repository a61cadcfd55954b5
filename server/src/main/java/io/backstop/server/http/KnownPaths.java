package io.backstop.server.http;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The paths the server serves and their methods: for 405 with Allow, OPTIONS and CORS preflights. */
final class KnownPaths {
    private final Map<Pattern, Set<String>> methods = new LinkedHashMap<>();

    /** {@code path} may hold Javalin parameters such as {@code /v1/models/{id}}. */
    void add(String path, String method) {
        Pattern p = Pattern.compile(Pattern.quote(path).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q"));
        methods.computeIfAbsent(p, k -> new LinkedHashSet<>()).add(method);
    }

    /** The methods served at this request path; empty when the path is unknown. */
    Set<String> at(String requestPath) {
        Set<String> out = new LinkedHashSet<>();
        methods.forEach((p, m) -> {
            if (p.matcher(requestPath).matches()) out.addAll(m);
        });
        return out;
    }

    static String allowHeader(Set<String> methods) {
        Set<String> all = new LinkedHashSet<>(methods);
        all.add("OPTIONS");
        return String.join(", ", all);
    }
}
