package io.backstop.engine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.engine.backend.gguf.GgufFixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code backstop quantize} on GGUF files: the llama.cpp mix by default, one-line errors with exit 2 for bad input. */
class QuantizeCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String err) {}

    private static Run quantize(String... args) {
        StringWriter err = new StringWriter();
        int code = CliErrors.install(new CommandLine(new QuantizeCommand())).setErr(new PrintWriter(err)).execute(args);
        return new Run(code, err.toString());
    }

    @Test
    void aGgufSourceBecomesQ4KMByDefaultNamedAfterTheSource() throws IOException {
        Run r = quantize("-m", GgufFixtures.tiny("tiny-llama-F32.gguf").toString(), "-o", tmp.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Path written = tmp.resolve("tiny-llama-Q4_K_M.gguf");
        assertThat(Files.mismatch(written, GgufFixtures.tiny("tiny-llama-Q4_K_M.gguf"))).isEqualTo(-1L);
    }

    @Test
    void badInputIsOneLineAndExitCode2AndWritesNothing() throws IOException {
        String f32 = GgufFixtures.tiny("tiny-llama-F32.gguf").toString();
        Path taken = Files.writeString(tmp.resolve("taken.gguf"), "x");
        String[][] cases = {
                {"-m", f32, "-o", tmp.resolve("a.gguf").toString(), "--type", "Q4"},
                {"-m", GgufFixtures.tiny("tiny-llama-Q8_0.gguf").toString(), "-o", tmp.resolve("b.gguf").toString(), "--type", "Q4_0"},
                {"-m", f32, "-o", taken.toString(), "--type", "Q8_0"}};
        String[] messages = {"quantize: --type: unknown quantization 'Q4' for a GGUF source; supported: Q8_0, Q4_0, Q4_K_M, F16",
                "quantize: tiny-llama-Q8_0.gguf is already quantized (", "quantize: output " + taken + " already exists"};
        for (int i = 0; i < cases.length; i++) {
            Run r = quantize(cases[i]);
            assertThat(r.code()).as(r.err()).isEqualTo(CliErrors.USAGE);
            assertThat(r.err().lines()).as(r.err()).singleElement().asString().startsWith(messages[i]).doesNotContain("Exception");
        }
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("taken.gguf");
        }
    }
}
