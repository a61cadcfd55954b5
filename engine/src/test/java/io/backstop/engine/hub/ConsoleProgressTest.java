package io.backstop.engine.hub;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleProgressTest {
    @Test
    void plainModePrintsOneLinePerFile() {
        StringWriter text = new StringWriter();
        ConsoleProgress progress = new ConsoleProgress(new PrintWriter(text), false);
        progress.fileStarted("model.safetensors", 2_000_000);
        progress.bytesTransferred("model.safetensors", 1_000_000, 2_000_000);
        progress.fileFinished("model.safetensors", 2_000_000, false);
        progress.fileFinished("config.json", 715, true);

        String[] lines = text.toString().split("\\R");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).contains("model.safetensors", "100%", "2.0/2.0 MB", "MB/s").doesNotContain("\r");
        assertThat(lines[1]).contains("config.json: already complete", "skipped");
    }

    @Test
    void terminalModeRedrawsOneLine() {
        StringWriter text = new StringWriter();
        ConsoleProgress progress = new ConsoleProgress(new PrintWriter(text), true);
        progress.fileStarted("a.safetensors", -1);
        progress.fileFinished("a.safetensors", 3_000_000, false);

        assertThat(text.toString()).startsWith("\r").contains("\r  a.safetensors").contains("3.0/3.0 MB").endsWith(System.lineSeparator());
    }
}
