package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/backstop serve} started as users start it. */
class ServeScriptIT {
    private static final Path ROOT = Path.of(System.getProperty("backstop.root", ".")).toAbsolutePath().normalize();
    private static final Pattern LISTENING = Pattern.compile("listening on http://([^ ]+):(\\d+)");

    @TempDir
    Path tmp;

    private static ProcessBuilder backstop(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/backstop").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BACKSTOP_SKIP_BUILD", "1");
        return pb;
    }

    /** Reads the server's stderr until it is ready; returns the port it listens on. */
    private static String awaitReady(BufferedReader err) throws java.io.IOException {
        String port = null;
        String line;
        while ((line = err.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) port = m.group(2);
            if (line.contains("ready:")) break;
        }
        assertThat(port).isNotNull();
        return port;
    }

    @Test
    void serveModelAnswersAChatWithTheReferenceContinuation() throws Exception {
        Process p = backstop("serve", "--model", TestServer.storiesDir().toString(), "--name", "stories", "--port", "0").start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            String port = awaitReady(err);
            JsonNode ref = TestServer.references().get(3);
            String body = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":" + new ObjectMapper().writeValueAsString(ref.get("prompt").asText())
                    + "}],\"temperature\":0,\"max_tokens\":" + TestServer.maxTokens(ref) + "}";
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(r.body()).at("/choices/0/message/content").asText()).isEqualTo(TestServer.continuation(ref));
        } finally {
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** SIGTERM, as an orchestrator sends it (through the process handle: Process.destroy() would also close our end of stderr). */
    @Test
    void sigtermEndsARunningStreamWithAnErrorEventAndDoneThenExitsZero() throws Exception {
        Path config = tmp.resolve("drain.yaml");
        Files.writeString(config, "server:\n  port: 0\n  drain_timeout_seconds: 0\nmodels:\n  - name: stories\n    path: " + TestServer.storiesDir()
                + "\n    chat_template: raw\n    max_in_flight: 1\n    queue_size: 32\n");
        Process p = backstop("serve", "--config", config.toString()).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            String port = awaitReady(err);
            // 16 choices of 500 tokens, one after the other: still generating when the signal comes
            String body = "{\"model\":\"stories\",\"prompt\":\"Once upon a time\",\"max_tokens\":500,\"n\":16,\"temperature\":0,\"stream\":true,"
                    + "\"logit_bias\":{\"1\":-100,\"2\":-100}}";
            HttpResponse<java.io.InputStream> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("data: ");
            assertThat(p.toHandle().destroy()).isTrue();
            List<String> data = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) if (line.startsWith("data: ")) data.add(line.substring("data: ".length()));
            String rest = err.lines().collect(java.util.stream.Collectors.joining("\n")); // until the process closes it at exit
            // the server's log says how the drain went (what ended the stream early, if it was cut)
            assertThat(data.get(data.size() - 1)).as("the stream's end; server log:%n%s", rest).isEqualTo("[DONE]");
            assertThat(new ObjectMapper().readTree(data.get(data.size() - 2)).at("/error/code").asText()).as("server log:%n%s", rest).isEqualTo("server_shutting_down");
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(rest).contains("shutting down").contains("stopped").doesNotContain("\tat ");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void serveWithoutArgumentsExplainsWhenTheDefaultModelCannotBeDownloaded() throws Exception {
        Path absent = ROOT.resolve("models/Qwen2.5-0.5B-Instruct-GGUF");
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isDirectory(absent), "the default model is already downloaded here");
        ProcessBuilder pb = backstop("serve");
        pb.environment().put("HF_ENDPOINT", "http://127.0.0.1:9"); // nothing listens on the discard port
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err).contains("HF_ENDPOINT").contains("--model").contains("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M").doesNotContain("\tat ");
        assertThat(out).isEmpty();
        assertThat(absent).doesNotExist();
    }

    /** Reads stderr until "ready:" and returns the port from the "listening" line. */
    private static String awaitReady(Process p) throws Exception {
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        String port = null;
        String line;
        StringBuilder seen = new StringBuilder();
        while ((line = err.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) port = m.group(2);
            if (line.contains("ready:")) return port;
        }
        throw new AssertionError("the server ended before it was ready:\n" + seen);
    }

    private static String stderrAfterStart(Process p) throws Exception {
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("serve did not stop: " + err);
        }
        return err;
    }

    @Test
    void kvCacheFilesNeverPileUpAndAreGoneAfterShutdown() throws Exception {
        Path work = tmp.resolve("work");
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        Path stale = work.resolve(finished.pid() + "-1000/stories260K-1"); // left by a process that was killed
        Files.createDirectories(stale);
        Files.writeString(stale.resolve("0-L0C0.page"), "kv");
        ProcessBuilder pb = backstop("serve", "--model", TestServer.storiesDir().toString(), "--port", "0");
        pb.environment().put("BACKSTOP_WORK_DIR", work.toString());
        Process p = pb.start();
        try {
            String port = awaitReady(p);
            assertThat(work.resolve(finished.pid() + "-1000")).doesNotExist();
            HttpClient http = HttpClient.newHttpClient();
            String models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(models).contains("\"id\":\"stories260K\""); // …/stories260K/hf is not called "hf"
            for (int i = 0; i < 20; i++) {
                String body = "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"temperature\":0}";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(files(work, ".page")).as("KV cache pages after request %d", i + 1).isZero();
            }
            assertThat(files(work, "")).isZero();
            try (var processFolders = Files.list(work)) {
                assertThat(processFolders.toList()).singleElement().satisfies(f -> assertThat(f.getFileName().toString()).startsWith(p.pid() + "-"));
            }
        } finally {
            p.destroy(); // SIGTERM, as a service manager stops it
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (var left = Files.list(work)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    private static long files(Path dir, String suffix) throws java.io.IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(suffix)).count();
        }
    }

    @Test
    void aPortInUseIsOneLineAndExit1() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Process p = backstop("serve", "--model", TestServer.storiesDir().toString(), "--port", String.valueOf(taken.getLocalPort())).start();
            String err = stderrAfterStart(p);
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(err.lines().toList()).containsExactly("backstop serve: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address in use");
        }
    }

    @Test
    void providerKeysAreCheckedBeforeAnyDownload() throws Exception {
        Path absent = tmp.resolve("not-downloaded");
        Path f = tmp.resolve("routed.yaml");
        Files.writeString(f, """
                models:
                  - {name: local-small, path: not-downloaded, repo: someone/some-model}
                providers:
                  - {name: remote, base_url: "http://127.0.0.1:9/v1", api_key_env: BACKSTOP_IT_UNSET_KEY}
                routes:
                  - {name: smart, targets: ["remote:big", "local:local-small"]}
                """);
        ProcessBuilder pb = backstop("serve", "--config", f.toString());
        pb.environment().put("HF_ENDPOINT", "http://127.0.0.1:9");
        pb.environment().remove("BACKSTOP_IT_UNSET_KEY");
        Process p = pb.start();
        String err = stderrAfterStart(p);
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err.lines().toList()).singleElement().asString().contains("BACKSTOP_IT_UNSET_KEY").contains("provider 'remote'");
        assertThat(absent).doesNotExist();
    }

    @Test
    void theConfigurationSetsTheLogLevel() throws Exception {
        Path f = tmp.resolve("logging.yaml");
        Files.writeString(f, "logging:\n  level: info\nserver:\n  port: 0\nmodels:\n  - {name: stories, path: " + TestServer.storiesDir() + ", chat_template: raw}\n");
        Process p = backstop("serve", "--config", f.toString()).start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = err.readLine()) != null && !line.contains("ready:")) lines.add(line);
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("INFO io.javalin"));
        } finally {
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void anInvalidConfigurationFailsAtStartNamingTheKey() throws Exception {
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(f, "server:\n  port: 8080\n  colour: blue\nmodels: []\n");
        Process p = backstop("serve", "--config", f.toString()).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).singleElement().asString().contains("unknown key 'server.colour'");
    }
}
