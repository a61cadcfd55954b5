package io.backstop.engine.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * HTTP to a Hugging Face endpoint: the model-info API (file lists) and {@code /resolve/} URLs, with
 * redirects followed by hand so that the token only ever goes to the endpoint's own origin, never to
 * the CDN a large file redirects to. Every failure is a {@link ModelFetchException} with a one-line
 * message that never contains the token.
 */
final class HubClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** Time allowed until response headers arrive (not for the whole body: weights can take hours). */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "backstop/0.1 (java.net.http)";

    /** A file of a repository; size -1 and sha256 null when the hub does not say. */
    record RemoteFile(String name, long size, String sha256) {}

    private final URI endpoint;
    private final String token; // null when absent; must never appear in a message or log
    private final HttpClient client;

    HubClient(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
        this.client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand, to keep the token off CDN hosts
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    URI endpoint() {
        return endpoint;
    }

    /** Every file of the repo at its revision, with sizes and LFS checksums ({@code blobs=true}, as huggingface_hub asks). */
    List<RemoteFile> listFiles(RepoId repo) {
        URI uri = URI.create(endpoint + "/api/models/" + repo.id() + "/revision/" + encode(repo.revision()) + "?blobs=true");
        HttpResponse<InputStream> response = send(uri, "GET", true, Map.of());
        JsonNode siblings;
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) throw httpError(response.statusCode(), repo, null);
            siblings = JSON.readTree(body).path("siblings");
        } catch (JsonProcessingException e) {
            throw notHub(repo);
        } catch (IOException e) {
            throw new ModelFetchException("reading the file list of '" + repo.id() + "' from " + endpoint + " failed: " + reason(e));
        }
        if (!siblings.isArray()) throw notHub(repo);
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode s : siblings) {
            JsonNode lfs = s.path("lfs");
            long size = s.path("size").asLong(lfs.path("size").asLong(-1));
            String sha = lfs.path("sha256").asText("");
            files.add(new RemoteFile(s.path("rfilename").asText(""), size, sha.matches("[0-9a-f]{64}") ? sha : null));
        }
        return files;
    }

    /** The download URL of a file. */
    URI resolve(RepoId repo, String file) {
        StringBuilder path = new StringBuilder();
        for (String segment : file.split("/")) path.append('/').append(encode(segment));
        return URI.create(endpoint + "/" + repo.id() + "/resolve/" + encode(repo.revision()) + path);
    }

    /**
     * Size of a remote file without downloading it, or -1 if unknown. Like huggingface_hub, only same-origin
     * redirects are followed: for large files the hub's redirect to its CDN carries the size in X-Linked-Size,
     * and the signed CDN URL may not accept HEAD.
     */
    long remoteSize(URI uri) throws IOException {
        HttpResponse<InputStream> response = send(uri, "HEAD", false, Map.of());
        try (InputStream ignored = response.body()) {
            HttpHeaders headers = response.headers();
            var linked = headers.firstValueAsLong("X-Linked-Size");
            if (linked.isPresent()) return linked.getAsLong();
            return response.statusCode() == 200 ? headers.firstValueAsLong("Content-Length").orElse(-1) : -1;
        }
    }

    /** Sends a request, following redirects with the same extra headers; the token goes only to the endpoint's own origin. */
    HttpResponse<InputStream> send(URI uri, String method, boolean followCrossOrigin, Map<String, String> headers) {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current)
                    .timeout(RESPONSE_TIMEOUT)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", USER_AGENT);
            headers.forEach(request::header);
            if (token != null && sameOrigin(current, endpoint)) request.header("Authorization", "Bearer " + token);
            HttpResponse<InputStream> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                String where = sameOrigin(current, endpoint) ? endpoint.toString() : origin(current);
                throw new ModelFetchException("cannot reach " + where + " (" + reason(e) + "); set HF_ENDPOINT to a"
                        + " mirror, or pass a local model directory instead of a repo id");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelFetchException("interrupted");
            }
            int status = response.statusCode();
            var location = response.headers().firstValue("Location");
            if (!isRedirect(status) || location.isEmpty()) return response;
            URI next;
            try {
                next = current.resolve(location.get());
                if (next.getHost() == null || !next.getScheme().matches("(?i)https?")) next = null;
            } catch (IllegalArgumentException e) {
                next = null;
            }
            if (next != null && !followCrossOrigin && !sameOrigin(next, current)) return response;
            closeQuietly(response.body());
            if (next == null) throw new ModelFetchException(origin(current) + " redirected to an invalid URL");
            if (hop >= MAX_REDIRECTS) throw new ModelFetchException("too many redirects from " + origin(uri));
            current = next;
        }
    }

    ModelFetchException httpError(int status, RepoId repo, String file) {
        String what = file == null ? "'" + repo.id() + "'" : "'" + file + "' of '" + repo.id() + "'";
        String tokenHint = token == null ? "set HF_TOKEN for gated or private models"
                : "check that HF_TOKEN is valid and has access to it";
        return new ModelFetchException(switch (status) {
            // The hub also answers 401 for repos that do not exist, so hint at the id as well.
            case 401 -> "401 from " + endpoint + " for " + what + ": " + tokenHint + " (and check the repo id)";
            case 403 -> "403 from " + endpoint + " for " + what + ": " + tokenHint
                    + "; gated models need their terms accepted at " + endpoint + "/" + repo.id();
            case 404 -> file == null
                    ? "404: no model '" + repo.id() + "' at revision " + repo.revision() + " on " + endpoint
                    : "404: no file '" + file + "' in '" + repo.id() + "' at revision " + repo.revision() + " on " + endpoint;
            case 429 -> "429 from " + endpoint + ": rate limited; wait a few minutes and retry"
                    + (token == null ? " (or set HF_TOKEN)" : "");
            default -> status >= 500
                    ? endpoint + " answered " + status + " (server error) for " + what + "; retry later or set HF_ENDPOINT to a mirror"
                    : "unexpected HTTP " + status + " from " + endpoint + " for " + what;
        });
    }

    private ModelFetchException notHub(RepoId repo) {
        return new ModelFetchException("unexpected answer from " + endpoint + " for '" + repo.id()
                + "' (no file list); is HF_ENDPOINT a Hugging Face endpoint?");
    }

    @Override
    public void close() {
        client.shutdownNow();
    }

    /** A short human reason for an I/O failure ("connection refused", "unknown host", …). */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String msg = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) return "unknown host";
            if (t instanceof HttpConnectTimeoutException) return "connection timed out";
            if (t instanceof HttpTimeoutException) return "no answer within " + RESPONSE_TIMEOUT.toSeconds() + " s";
            if (t instanceof SSLException) return "TLS error: " + t.getMessage();
            if (t instanceof NoRouteToHostException) return "no route to host";
            if (msg.contains("connection refused")) return "connection refused";
            if (t instanceof java.nio.file.NoSuchFileException) return "no such file: " + t.getMessage();
            if (t instanceof java.nio.file.AccessDeniedException) return "permission denied: " + t.getMessage();
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) return t.getMessage();
        }
        // java.net.http reports a refused connection as a bare ConnectException (cause ClosedChannelException).
        return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String origin(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() == -1 ? "" : ":" + u.getPort());
    }

    /** Encodes one path segment (revisions like {@code refs/pr/1} become a single segment, as the hub expects). */
    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the response is abandoned anyway
        }
    }
}
