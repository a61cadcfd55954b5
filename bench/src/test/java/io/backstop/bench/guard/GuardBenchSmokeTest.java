package io.backstop.bench.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.bench.BenchMain;
import io.backstop.server.guard.GuardDecision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GuardBenchSmokeTest {
    @Test
    void theWorkloadIsWhatTheBenchmarkClaims() {
        assertThat(GuardWorkload.request4k().messages().getLast().text()).hasSize(4096);
        GuardDecision d = GuardWorkload.guardrails().checkInput(GuardWorkload.request4k());
        assertThat(d.blocked()).isFalse();
        assertThat(d.redacted()).isTrue(); // the e-mail and phone number in the prompt went through the PII check
        assertThat(String.join("", GuardWorkload.deltas(1000))).isEqualTo(GuardWorkload.prose(1000));
    }

    @Test
    void smokeRunReportsBothBenchmarks() throws Exception {
        List<GuardBench.Row> rows = GuardBench.run(GuardBench.Options.smoke());
        assertThat(rows).extracting(GuardBench.Row::name).containsExactly("inputChecks4k", "outputCheckPerToken");
        assertThat(rows).allSatisfy(r -> assertThat(r.p99Micros()).isPositive());
    }

    @Test
    void smokeCommandPrintsTheTableAndTheShareOfDecodeTime() {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new BenchMain()).execute("guard", "--smoke")).isZero();
        } finally {
            System.setOut(old);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("| inputChecks4k |").contains("% of decode time");
    }
}
