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

    @Test
    void serveModelAnswersAChatWithTheReferenceContinuation() throws Exception {
        Process p = backstop("serve", "--model", TestServer.storiesDir().toString(), "--name", "stories", "--port", "0").start();
        try {
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            String port = null;
            String line;
            while ((line = err.readLine()) != null) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) port = m.group(2);
                if (line.contains("ready:")) break;
            }
            assertThat(port).isNotNull();
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

    @Test
    void anInvalidConfigurationFailsAtStartNamingTheKey() throws Exception {
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(f, "server:\n  port: 8080\n  colour: blue\nmodels: []\n");
        Process p = backstop("serve", "--config", f.toString()).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()).toList();
        assertThat(lines).singleElement().asString().contains("unknown key 'server.colour'");
    }
}
