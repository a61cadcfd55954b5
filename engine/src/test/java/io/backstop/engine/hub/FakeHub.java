package io.backstop.engine.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * A loopback imitation of the Hugging Face hub: the model-info API, /resolve/ URLs, and a separate "CDN"
 * server (a different origin, like the real one) that *.safetensors downloads are redirected to.
 * Serves {@link #REPO} from a local model directory and records every request.
 */
final class FakeHub implements AutoCloseable {
    static final String REPO = "tiny/stories260K";
    static final String NO_WEIGHTS_REPO = "tiny/no-weights";
    static final String GATED_PREFIX = "gated/";

    record Request(String server, String method, String path, String authorization) {}

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Path modelDir;
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
            requests.add(new Request(server, ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization")));
            if (server.equals("cdn")) {
                serveFile(ex, path.substring(path.lastIndexOf('/') + 1));
            } else if (path.startsWith("/api/models/" + GATED_PREFIX)) {
                send(ex, 401, "{\"error\":\"Access to model is restricted.\"}");
            } else if (path.equals("/api/models/" + REPO + "/revision/main")) {
                send(ex, 200, siblingsJson(withExtras(modelFileNames())));
            } else if (path.equals("/api/models/" + NO_WEIGHTS_REPO + "/revision/main")) {
                send(ex, 200, siblingsJson(List.of("config.json", "pytorch_model.bin")));
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
            } else {
                send(ex, 404, "{\"error\":\"Repository not found\"}");
            }
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
