package io.backstop.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --model ollama:NAME that cannot be had is one line and exit 1, like any model that cannot load. */
class ModelOptionSourcesTest {
    @Test
    void anOllamaModelThatIsNotThereIsOneLineAndExitCode1() {
        StringWriter err = new StringWriter();
        int code = CliErrors.install(new CommandLine(new InfoCommand())).setErr(new PrintWriter(err))
                .execute("--model", "ollama:backstop-test-never-pulled");
        assertThat(code).isEqualTo(CliErrors.FAILURE);
        // no store here says where it looked (OLLAMA_MODELS); a store without the model lists what it has
        assertThat(err.toString()).startsWith("info: ").containsIgnoringCase("ollama").doesNotContain("unexpected error", "\tat ");
        assertThat(err.toString().lines().count()).isEqualTo(1);
    }
}
