package io.backstop.engine.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A loopback imitation of the Hugging Face hub: the model-info API (with sizes and LFS checksums, as
 * {@code ?blobs=true} gives them), /resolve/ URLs, and a separate "CDN" server (a different origin, like
 * the real one) that *.safetensors and *.gguf downloads are redirected to, which honours Range requests.
 * Serves {@link #REPO} from a local model directory and any repo added with {@link #addRepo}, records
 * every request, and can break the next download after some bytes ({@link #cutNextDownloadAfter}).
 */
final class FakeHub implements AutoCloseable {
    static final String REPO = "tiny/stories260K";
    static final String NO_WEIGHTS_REPO = "tiny/no-weights";
    static final String GATED_PREFIX = "gated/";

    record Request(String server, String method, String path, String authorization, String range) {}

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Path modelDir;
    private final Map<String, Path> repos = new ConcurrentHashMap<>();
    private final Map<String, String> wrongSha = new ConcurrentHashMap<>();
    private final AtomicLong cutAfter = new AtomicLong(-1);
    private volatile boolean ignoreRange;
    private final HttpServer hub;
    private final HttpServer cdn;

    FakeHub(Path modelDir) throws IOException {
        this.modelDir = modelDir;
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", ex -> handle("hub", ex));
        cdn.createContext("/", ex -> handle("cdn", ex));
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    /** Serves every file under {@code dir} (sub-folders too) as repo {@code id}. */
    FakeHub addRepo(String id, Path dir) {
        repos.put(id, dir);
        return this;
    }

    /** The next CDN download sends this many bytes of its body, then drops the connection. */
    void cutNextDownloadAfter(long bytes) {
        cutAfter.set(bytes);
    }

    /** The CDN answers every request in full, as servers without Range support do. */
    void ignoreRange(boolean ignore) {
        ignoreRange = ignore;
    }

    /** The file list announces a wrong SHA-256 for this file (as if the file were corrupted on the way). */
    void announceWrongSha(String file) {
        wrongSha.put(file, "0".repeat(64));
    }

    /** The file list gives no SHA-256 for this file. */
    void announceNoSha(String file) {
        wrongSha.put(file, "");
    }

    List<Request> requests(String server, String method) {
        return requests.stream().filter(r -> r.server().equals(server) && r.method().equals(method)).toList();
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }

    private void handle(String server, HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            requests.add(new Request(server, ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization"),
                    ex.getRequestHeaders().getFirst("Range")));
            if (server.equals("cdn")) {
                serveCdn(ex, path);
            } else if (path.startsWith("/api/models/" + GATED_PREFIX)) {
                send(ex, 401, "{\"error\":\"Access to model is restricted.\"}");
            } else if (path.equals("/api/models/" + REPO + "/revision/main")) {
                send(ex, 200, siblingsJson(withExtras(modelFileNames())));
            } else if (path.equals("/api/models/" + NO_WEIGHTS_REPO + "/revision/main")) {
                send(ex, 200, siblingsJson(List.of("config.json", "pytorch_model.bin")));
            } else if (path.startsWith("/api/models/") && path.endsWith("/revision/main") && repos.containsKey(repoOf(path))) {
                send(ex, 200, blobsJson(repos.get(repoOf(path))));
            } else if (path.startsWith("/" + REPO + "/resolve/main/")) {
                String file = path.substring(("/" + REPO + "/resolve/main/").length());
                if (file.endsWith(".safetensors")) {
                    // Like the real hub: large files redirect to another origin and announce their size.
                    ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blobs/" + file);
                    ex.getResponseHeaders().set("X-Linked-Size", Long.toString(Files.size(modelDir.resolve(file))));
                    ex.sendResponseHeaders(302, -1);
                } else {
                    serveFile(ex, file);
                }
            } else if (path.contains("/resolve/main/") && repos.containsKey(path.substring(1, path.indexOf("/resolve/main/")))) {
                String repo = path.substring(1, path.indexOf("/resolve/main/"));
                String file = path.substring(path.indexOf("/resolve/main/") + "/resolve/main/".length());
                Path f = repos.get(repo).resolve(file);
                if (!Files.isRegularFile(f)) {
                    send(ex, 404, "{\"error\":\"Entry not found\"}");
                    return;
                }
                ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/repos/" + repo + "/" + file);
                ex.getResponseHeaders().set("X-Linked-Size", Long.toString(Files.size(f)));
                ex.sendResponseHeaders(302, -1);
            } else {
                send(ex, 404, "{\"error\":\"Repository not found\"}");
            }
        }
    }

    private static String repoOf(String apiPath) {
        return apiPath.substring("/api/models/".length(), apiPath.length() - "/revision/main".length());
    }

    /** The CDN: /blobs/FILE of the stories model, /repos/OWNER/NAME/FILE of an added repo; Range honoured. */
    private void serveCdn(HttpExchange ex, String path) throws IOException {
        if (path.startsWith("/blobs/")) {
            serveFile(ex, path.substring(path.lastIndexOf('/') + 1));
            return;
        }
        String[] parts = path.split("/", 5); // "", "repos", owner, name, file
        Path file = parts.length == 5 ? repos.getOrDefault(parts[2] + "/" + parts[3], Path.of("/nonexistent")).resolve(parts[4]) : null;
        if (file == null || !Files.isRegularFile(file)) {
            send(ex, 404, "{\"error\":\"Entry not found\"}");
            return;
        }
        long size = Files.size(file);
        long from = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        Matcher m = range == null || ignoreRange ? null : Pattern.compile("bytes=(\\d+)-").matcher(range);
        if (m != null && m.matches()) {
            from = Long.parseLong(m.group(1));
            if (from >= size) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + size);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (size - 1) + "/" + size);
        }
        long length = size - from;
        ex.sendResponseHeaders(from > 0 ? 206 : 200, length);
        long cut = cutAfter.getAndSet(-1);
        try (InputStream in = Files.newInputStream(file); OutputStream out = ex.getResponseBody()) {
            in.skipNBytes(from);
            if (cut >= 0 && cut < length) {
                out.write(in.readNBytes((int) cut));
                out.flush();
                throw new IOException("connection dropped on purpose after " + cut + " bytes"); // closes the exchange unfinished
            }
            in.transferTo(out);
        }
    }

    /** A model-info answer with sizes and LFS checksums, as the real hub gives for ?blobs=true. */
    private String blobsJson(Path dir) throws IOException {
        StringBuilder json = new StringBuilder("{\"id\":\"x\",\"sha\":\"0123\",\"siblings\":[");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (int i = 0; i < files.size(); i++) {
            String name = dir.relativize(files.get(i)).toString().replace('\\', '/');
            long size = Files.size(files.get(i));
            String sha = wrongSha.getOrDefault(name, sha256(files.get(i)));
            json.append(i == 0 ? "" : ",").append("{\"rfilename\":\"").append(name).append("\",\"size\":").append(size)
                    .append(",\"lfs\":{\"sha256\":\"").append(sha).append("\",\"size\":").append(size).append(",\"pointerSize\":130}}");
        }
        return json.append("]}").toString();
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> modelFileNames() throws IOException {
        try (Stream<Path> files = Files.list(modelDir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Files a real repo has but Backstop must not download. */
    private static List<String> withExtras(List<String> names) {
        List<String> all = new ArrayList<>(names);
        all.addAll(List.of(".gitattributes", "onnx/model.onnx", "pytorch_model.bin"));
        return all;
    }

    private static String siblingsJson(List<String> names) {
        StringBuilder json = new StringBuilder("{\"id\":\"x\",\"sha\":\"0123\",\"siblings\":[");
        for (int i = 0; i < names.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"rfilename\":\"").append(names.get(i)).append("\"}");
        }
        return json.append("]}").toString();
    }

    private void serveFile(HttpExchange ex, String name) throws IOException {
        Path file = modelDir.resolve(name);
        if (name.contains("/") || !Files.isRegularFile(file)) {
            send(ex, 404, "{\"error\":\"Entry not found\"}");
            return;
        }
        long size = Files.size(file);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(size));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        ex.sendResponseHeaders(200, size);
        try (OutputStream out = ex.getResponseBody()) {
            Files.copy(file, out);
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
