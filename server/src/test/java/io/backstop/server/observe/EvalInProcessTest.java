package io.backstop.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backstop.server.Main;
import io.backstop.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backstop eval --model PATH} and {@code --config FILE}: the command starts the real server itself
 * on a loopback port, runs the suite over HTTP and stops it, so a CI gate is one command.
 */
class EvalInProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SUITE = Path.of(System.getProperty("backstop.root", ".."), "models/eval/stories.jsonl");

    @TempDir
    Path dir;

    private JsonNode report() throws Exception {
        return JSON.readTree(dir.resolve("report.json").toFile());
    }

    @Test
    void theExampleSuitePassesAgainstTheTestModelStartedByTheCommand() throws Exception {
        int code = Main.run("eval", "--data", SUITE.toString(), "--model", TestServer.storiesDir().toString(), "--name", "stories",
                "--min-pass-rate", "1", "--out", dir.resolve("report").toString());
        assertThat(code).isZero();
        JsonNode r = report();
        assertThat(r.at("/summary/cases").asInt()).isEqualTo(3);
        assertThat(r.at("/summary/passed").asInt()).isEqualTo(3);
        assertThat(r.at("/route").asText()).isEqualTo("stories");
        assertThat(r.at("/cases/0/target").asText()).isEqualTo("local:stories"); // answered by the started server's local model
    }

    @Test
    void aConfigurationWithAnApiKeyIsServedAndTheKeyUsedAndOnlyTheReportGoesToStdout() throws Exception {
        Path config = dir.resolve("backstop.yaml");
        Files.writeString(config, """
                server: {port: 8080, api_keys: [sk-eval-only]}
                models:
                  - {name: stories, path: "%s", chat_template: raw}
                routes:
                  - {name: tales, targets: [local:stories]}
                """.formatted(TestServer.storiesDir()));
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int code;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            code = Main.run("eval", "--data", SUITE.toString(), "--config", config.toString(), "--route", "tales", "--json",
                    "--api-key-env", "BACKSTOP_EVAL_TEST_UNSET_VARIABLE", "--min-pass-rate", "1", "--out", dir.resolve("report").toString());
        } finally {
            System.setOut(stdout);
        }
        assertThat(code).isZero();
        JsonNode printedReport = JSON.readTree(printed.toString(StandardCharsets.UTF_8)); // the access log (stdout by default) is off
        assertThat(printedReport.at("/summary/passed").asInt()).isEqualTo(3);
        assertThat(report().at("/cases/0/target").asText()).isEqualTo("local:stories");
    }

    @Test
    void badStartsExitTwoWithOneLine() throws Exception {
        String out = dir.resolve("report").toString();
        assertThat(Main.run("eval", "--data", SUITE.toString(), "--model", dir.resolve("nothing-here").toString(), "--out", out)).isEqualTo(2);
        assertThat(Main.run("eval", "--data", SUITE.toString(), "--model", TestServer.storiesDir().toString(), "--url", "http://127.0.0.1:8080",
                "--out", out)).isEqualTo(2);
        assertThat(Main.run("eval", "--data", SUITE.toString(), "--model", TestServer.storiesDir().toString(), "--config", SUITE.toString(),
                "--out", out)).isEqualTo(2);
        assertThat(Main.run("eval", "--data", SUITE.toString(), "--out", out)).as("no --route and no --model").isEqualTo(2);
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "models: [{name: x, path: \"" + dir.resolve("none") + "\"}]\n");
        assertThat(Main.run("eval", "--data", SUITE.toString(), "--config", broken.toString(), "--route", "x", "--out", out)).isEqualTo(2);
        assertThat(Files.exists(dir.resolve("report.json"))).as("nothing was evaluated").isFalse();
    }
}
