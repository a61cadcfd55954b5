package io.backstop.engine.hub;

import io.backstop.engine.cli.CliErrors;
import io.backstop.engine.cli.FetchModelCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI wrapper: path on stdout, one-line errors on stderr, exit codes. */
class FetchModelCommandTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        return CliErrors.install(new CommandLine(new FetchModelCommand(env)))
                .setOut(new PrintWriter(out))
                .setErr(new PrintWriter(err))
                .execute(args);
    }

    @Test
    void printsModelDirectoryOnStdout() throws Exception {
        Path dest = tmp.resolve("m");
        try (FakeHub hub = new FakeHub(ModelFetcherTest.sharedModel())) {
            int code = run(Map.of("HF_ENDPOINT", hub.endpoint()), FakeHub.REPO, "--dest", dest.toString());
            assertThat(code).as(err.toString()).isZero();
        }
        assertThat(out.toString()).isEqualTo(dest.toAbsolutePath().normalize() + System.lineSeparator());
        assertThat(Files.size(dest.resolve("model.safetensors")))
                .isEqualTo(Files.size(ModelFetcherTest.sharedModel().resolve("model.safetensors")));
        assertThat(err.toString()).contains("model.safetensors");
    }

    @Test
    void reportsErrorsOnOneLineWithExitCode1() throws Exception {
        try (FakeHub hub = new FakeHub(ModelFetcherTest.sharedModel())) {
            int code = run(Map.of("HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", "hf_secret"), "nobody/nothing", "--dest",
                    tmp.resolve("x").toString());
            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).contains("backstop fetch-model: 404: no model 'nobody/nothing' at revision main on "
                    + hub.endpoint() + System.lineSeparator())
                    .doesNotContain("hf_secret", "Exception", "\tat ");
        }
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void rejectsSomethingThatIsNeitherDirectoryNorRepoId() {
        assertThat(run(Map.of(), tmp.resolve("missing").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("backstop fetch-model: '").contains("is neither a local model directory");
    }

    @Test
    void nameChoosesTheFolderUnderModels() {
        String home = System.getProperty("backstop.home");
        System.setProperty("backstop.home", tmp.toString());
        try {
            int code = run(Map.of(), ModelFetcherTest.sharedModel().toString(), "--name", "my-stories");
            assertThat(code).as(err.toString()).isZero();
            Path dest = tmp.resolve("models/my-stories");
            assertThat(out.toString().trim()).isEqualTo(dest.toAbsolutePath().normalize().toString());
            assertThat(dest.resolve("config.json")).exists();
        } finally {
            if (home == null) System.clearProperty("backstop.home");
            else System.setProperty("backstop.home", home);
        }
    }

    @Test
    void nameWithDestOrANameThatIsAPathIsABadArgument() {
        assertThat(run(Map.of(), "owner/name", "--name", "a", "--dest", tmp.resolve("b").toString())).isEqualTo(2);
        assertThat(run(Map.of(), "owner/name", "--name", "../escape")).isEqualTo(2);
        assertThat(err.toString().lines().toList()).containsExactly(
                "fetch-model: give --name or --dest, not both (see 'fetch-model --help')",
                "fetch-model: --name must be a folder name (letters, digits, '.', '_', '-'), got '../escape' (see 'fetch-model --help')");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void helpWorks() {
        assertThat(run(Map.of(), "--help")).isZero();
        assertThat(out.toString()).contains("Usage: fetch-model", "--dest=DIR", "--revision=REV", "--file=NAME.gguf", "owner/name:QUANT", "HF_TOKEN");
    }

    @Test
    void printsTheGgufFileOfATagOrOfANamedFile() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Files.createSymbolicLink(repo.resolve("tiny-llama-Q4_0.gguf"), GgufFetchTest.tinyGguf("tiny-llama-Q4_0.gguf"));
        try (FakeHub hub = new FakeHub(ModelFetcherTest.sharedModel()).addRepo("tiny/T-GGUF", repo)) {
            Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint());
            assertThat(run(env, "tiny/T-GGUF:Q4_0", "--dest", tmp.resolve("a").toString())).as(err.toString()).isZero();
            assertThat(out.toString()).isEqualTo(tmp.resolve("a/tiny-llama-Q4_0.gguf").toAbsolutePath() + System.lineSeparator());
            out.getBuffer().setLength(0);
            assertThat(run(env, "tiny/T-GGUF", "--file", "tiny-llama-Q4_0.gguf", "--dest", tmp.resolve("b").toString())).as(err.toString()).isZero();
            assertThat(out.toString()).isEqualTo(tmp.resolve("b/tiny-llama-Q4_0.gguf").toAbsolutePath() + System.lineSeparator());
            assertThat(run(env, "tiny/T-GGUF:Q8_0", "--dest", tmp.resolve("c").toString())).isEqualTo(1);
            assertThat(err.toString()).contains("backstop fetch-model: no GGUF file of 'tiny/T-GGUF' matches the tag 'Q8_0'; its GGUF files: tiny-llama-Q4_0.gguf");
        }
    }
}
