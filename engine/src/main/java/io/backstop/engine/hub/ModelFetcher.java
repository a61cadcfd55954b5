package io.backstop.engine.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;

/**
 * Puts a model into a local directory: downloads it from a Hugging Face endpoint ({@code owner/name[@revision]})
 * or copies it from a local model directory. Only the files Backstop needs are taken ({@link ModelFiles}).
 * Files already complete at the destination are skipped; each file is written to {@code name.part} and
 * renamed when complete, so an interrupted run never leaves a truncated file under its real name.
 * All failures are {@link ModelFetchException}s with a one-line, user-facing message.
 */
public final class ModelFetcher {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** Time allowed until response headers arrive (not for the whole body: weights can take hours). */
    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "backstop/0.1 (java.net.http)";

    private final URI endpoint;
    private final String token; // null when absent; must never appear in a message or log

    /** Reads {@code HF_ENDPOINT} and {@code HF_TOKEN} from the process environment. */
    public ModelFetcher() {
        this(System.getenv());
    }

    /** Reads {@code HF_ENDPOINT} (default {@value #DEFAULT_ENDPOINT}) and {@code HF_TOKEN} from {@code env}. */
    public ModelFetcher(Map<String, String> env) {
        this(env.get("HF_ENDPOINT"), env.get("HF_TOKEN"));
    }

    /** @param endpoint base URL, null or blank for {@value #DEFAULT_ENDPOINT}; @param token null or blank for none */
    public ModelFetcher(String endpoint, String token) {
        String base = endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : endpoint.strip();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(base);
        } catch (IllegalArgumentException e) {
            throw new ModelFetchException("HF_ENDPOINT '" + base + "' is not a valid URL");
        }
        if (uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
            throw new ModelFetchException("HF_ENDPOINT '" + base + "' must be an http(s) URL such as " + DEFAULT_ENDPOINT);
        }
        this.endpoint = uri;
        this.token = token == null || token.isBlank() ? null : token.strip();
    }

    /** The endpoint in use, e.g. {@code https://huggingface.co}. */
    public String endpoint() {
        return endpoint.toString();
    }

    /** {@code models/<name>}: name is the repo name of a repo id, or the {@link ModelNames name} of a local directory. */
    public static Path defaultDestination(String source) {
        Path local = asLocalDirectory(source);
        return modelsFolder().resolve(local != null ? ModelNames.of(local) : RepoId.parse(source).name());
    }

    /** Where models go by default: {@code <backstop>/models}, else {@code models} in the working directory. */
    public static Path modelsFolder() {
        // scripts/backstop passes its checkout as backstop.home, so models land in <checkout>/models from any cwd.
        String home = System.getProperty("backstop.home");
        return home != null ? Path.of(home, "models") : Path.of("models");
    }

    /** Same as {@link #fetch(String, Path, String, ProgressListener)} with the default destination and revision. */
    public Path fetch(String source, ProgressListener listener) {
        return fetch(source, null, null, listener);
    }

    /**
     * Fetches {@code source} into {@code dest}.
     *
     * @param source   an existing local model directory, or a repo id {@code owner/name[@revision]}
     * @param dest     target directory, or null for {@link #defaultDestination(String)}
     * @param revision branch, tag or commit, or null (then the {@code @revision} of the source, else {@code main});
     *                 ignored for local directories
     * @return the absolute path of the model directory
     */
    public Path fetch(String source, Path dest, String revision, ProgressListener listener) {
        Objects.requireNonNull(source, "source");
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        Path target = dest != null ? dest : defaultDestination(source);
        Path local = asLocalDirectory(source);
        if (local != null) {
            return copyLocal(local, target, progress);
        }
        RepoId repo = RepoId.parse(source);
        if (revision != null && !revision.isBlank()) {
            if (source.contains("@") && !repo.revision().equals(revision.strip())) {
                throw new ModelFetchException("conflicting revisions: '" + source + "' and --revision " + revision);
            }
            repo = repo.withRevision(revision.strip());
        }
        return download(repo, target, progress);
    }

    // ---------------------------------------------------------------- local copy

    private static Path asLocalDirectory(String source) {
        try {
            Path p = Path.of(source);
            return Files.isDirectory(p) ? p : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static Path copyLocal(Path source, Path dest, ProgressListener listener) {
        List<String> files;
        try (Stream<Path> entries = Files.list(source)) {
            // isRegularFile follows symlinks, so a Hugging Face cache snapshot directory works too.
            files = ModelFiles.select(entries.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList());
        } catch (IOException e) {
            throw new ModelFetchException("cannot read " + source + ": " + reason(e));
        }
        if (files.stream().noneMatch(ModelFiles::isWeights)) {
            throw new ModelFetchException("no *.safetensors in " + source + " (Backstop needs safetensors weights)");
        }
        try {
            if (Files.exists(dest) && Files.isSameFile(source, dest)) {
                return source.toAbsolutePath().normalize();
            }
        } catch (IOException e) {
            // fall through: the copy below reports a readable error if dest is unusable
        }
        createDirectories(dest);
        for (String file : files) {
            Path from = source.resolve(file);
            Path to = dest.resolve(file);
            try {
                long size = Files.size(from);
                if (Files.isRegularFile(to) && Files.size(to) == size) {
                    listener.fileFinished(file, size, true);
                    continue;
                }
                try (InputStream in = Files.newInputStream(from)) {
                    writeAtomically(in, to, file, size, listener);
                }
            } catch (IOException e) {
                throw new ModelFetchException("copying " + from + " to " + dest + " failed: " + reason(e));
            }
        }
        return dest.toAbsolutePath().normalize();
    }

    // ---------------------------------------------------------------- download

    private Path download(RepoId repo, Path dest, ProgressListener listener) {
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand, to keep the token off CDN hosts
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        try {
            List<String> files = listFiles(client, repo);
            createDirectories(dest);
            for (String file : files) {
                downloadFile(client, repo, file, dest.resolve(file), listener);
            }
            return dest.toAbsolutePath().normalize();
        } finally {
            client.shutdownNow();
        }
    }

    private List<String> listFiles(HttpClient client, RepoId repo) {
        URI uri = URI.create(endpoint + "/api/models/" + repo.id() + "/revision/" + encode(repo.revision()));
        HttpResponse<InputStream> response = send(client, uri, "GET", true);
        JsonNode siblings;
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw httpError(response.statusCode(), repo, null);
            }
            siblings = JSON.readTree(body).path("siblings");
        } catch (JsonProcessingException e) {
            throw notHub(repo);
        } catch (IOException e) {
            throw new ModelFetchException("reading the file list of '" + repo.id() + "' from " + endpoint + " failed: " + reason(e));
        }
        if (!siblings.isArray()) {
            throw notHub(repo);
        }
        List<String> names = new ArrayList<>();
        siblings.forEach(s -> names.add(s.path("rfilename").asText("")));
        List<String> files = ModelFiles.select(names);
        if (files.stream().noneMatch(ModelFiles::isWeights)) {
            throw new ModelFetchException("no *.safetensors in '" + repo.id() + "' at revision " + repo.revision() + " on "
                    + endpoint + " (Backstop needs safetensors weights)");
        }
        return files;
    }

    private void downloadFile(HttpClient client, RepoId repo, String file, Path target, ProgressListener listener) {
        URI uri = URI.create(endpoint + "/" + repo.id() + "/resolve/" + encode(repo.revision()) + "/" + encode(file));
        try {
            if (Files.isRegularFile(target)) {
                long remote = remoteSize(client, uri);
                if (remote >= 0 && remote == Files.size(target)) {
                    listener.fileFinished(file, remote, true);
                    return;
                }
            }
            HttpResponse<InputStream> response = send(client, uri, "GET", true);
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw httpError(response.statusCode(), repo, file);
                }
                long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                writeAtomically(body, target, file, total, listener);
            }
        } catch (IOException e) {
            throw new ModelFetchException("downloading '" + file + "' of '" + repo.id() + "' into " + target.getParent()
                    + " failed (" + reason(e) + "); run the same command again to retry");
        }
    }

    /**
     * Size of a remote file without downloading it, or -1 if unknown. Like huggingface_hub, only same-origin
     * redirects are followed: for large files the hub's redirect to its CDN carries the size in X-Linked-Size,
     * and the signed CDN URL may not accept HEAD.
     */
    private long remoteSize(HttpClient client, URI uri) throws IOException {
        HttpResponse<InputStream> response = send(client, uri, "HEAD", false);
        try (InputStream ignored = response.body()) {
            var headers = response.headers();
            var linked = headers.firstValueAsLong("X-Linked-Size");
            if (linked.isPresent()) {
                return linked.getAsLong();
            }
            return response.statusCode() == 200 ? headers.firstValueAsLong("Content-Length").orElse(-1) : -1;
        }
    }

    /** Sends a request, following redirects; the token goes only to the endpoint's own origin. */
    private HttpResponse<InputStream> send(HttpClient client, URI uri, String method, boolean followCrossOrigin) {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current)
                    .timeout(RESPONSE_TIMEOUT)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", USER_AGENT);
            if (token != null && sameOrigin(current, endpoint)) {
                request.header("Authorization", "Bearer " + token);
            }
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
            if (!isRedirect(status) || location.isEmpty()) {
                return response;
            }
            URI next;
            try {
                next = current.resolve(location.get());
                if (next.getHost() == null || !next.getScheme().matches("(?i)https?")) {
                    next = null;
                }
            } catch (IllegalArgumentException e) {
                next = null;
            }
            if (next != null && !followCrossOrigin && !sameOrigin(next, current)) {
                return response;
            }
            closeQuietly(response.body());
            if (next == null) {
                throw new ModelFetchException(origin(current) + " redirected to an invalid URL");
            }
            if (hop >= MAX_REDIRECTS) {
                throw new ModelFetchException("too many redirects from " + origin(uri));
            }
            current = next;
        }
    }

    private ModelFetchException httpError(int status, RepoId repo, String file) {
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

    // ---------------------------------------------------------------- helpers

    /** Streams {@code in} to {@code target.part}, checks the length, then renames it to {@code target}. */
    private static void writeAtomically(InputStream in, Path target, String file, long total, ProgressListener listener)
            throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        listener.fileStarted(file, total);
        long done = 0;
        try {
            try (OutputStream out = Files.newOutputStream(part)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    done += n;
                    listener.bytesTransferred(file, done, total);
                }
            }
            if (total >= 0 && done != total) {
                throw new IOException("got " + done + " of " + total + " bytes");
            }
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(part);
        }
        listener.fileFinished(file, done, false);
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ModelFetchException("cannot create " + dir + ": " + reason(e));
        }
    }

    /** A short human reason for an I/O failure ("connection refused", "unknown host", …). */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String msg = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return "no answer within " + RESPONSE_TIMEOUT.toSeconds() + " s";
            }
            if (t instanceof SSLException) {
                return "TLS error: " + t.getMessage();
            }
            if (t instanceof NoRouteToHostException) {
                return "no route to host";
            }
            if (msg.contains("connection refused")) {
                return "connection refused";
            }
            if (t instanceof java.nio.file.NoSuchFileException) {
                return "no such file: " + t.getMessage();
            }
            if (t instanceof java.nio.file.AccessDeniedException) {
                return "permission denied: " + t.getMessage();
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        // java.net.http reports a refused connection as a bare ConnectException (cause ClosedChannelException).
        return e instanceof ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String origin(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() == -1 ? "" : ":" + u.getPort());
    }

    /** Encodes one path segment (revisions like {@code refs/pr/1} become a single segment, as the hub expects). */
    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the response is abandoned anyway
        }
    }
}
