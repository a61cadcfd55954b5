package io.backstop.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** scripts/backstop run as a user runs it: a separate process, stdout and stderr and exit code checked. */
class CliScriptIT {
    private static final Path ROOT = Path.of(System.getProperty("backstop.root", ".")).toAbsolutePath().normalize();
    private static final Path SHARED = Path.of(System.getProperty("backstop.shared", "../shared")).toAbsolutePath().normalize();
    private static final Path MODEL = SHARED.resolve("models/stories260K/hf");

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
        /** stderr without the JVM's own start-up warnings. */
        List<String> errorLines() {
            return err.lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank()).toList();
        }
    }

    static Run backstop(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/backstop").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BACKSTOP_SKIP_BUILD", "1"); // the build under test is already packaged
        Process p = pb.start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Stream<JsonNode> references() throws IOException {
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> files = Files.list(SHARED.resolve("models/stories260K/reference"))) {
            List<JsonNode> refs = new ArrayList<>();
            for (Path f : files.sorted().toList()) refs.add(json.readTree(f.toFile()));
            return refs.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("references")
    void greedyGenerateStreamsTheReferenceContinuation(JsonNode ref) throws Exception {
        String prompt = ref.get("prompt").asText();
        int maxTokens = ref.get("steps").asInt() - ref.get("prompt_ids").size() + 1;
        Run r = backstop("generate", "--model", MODEL.toString(), "--prompt", prompt, "--max-tokens", String.valueOf(maxTokens),
                "--temperature", "0", "--verbose");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(prompt + r.out()).isEqualTo(ref.get("text").asText() + "\n");
        assertThat(r.err()).containsPattern("time to first token [0-9.]+ ms").contains("decode").contains("prefill");
    }

    @Test
    void stopStringIsNotPrinted() throws Exception {
        Run r = backstop("generate", "-m", MODEL.toString(), "-p", "The little dog was sad because", "-n", "100", "-t", "0", "--stop", "box");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(" he loved to play with his toys. One day, he saw a big \n");
    }

    @Test
    void tokenizePrintsTheReferencePromptIds() throws Exception {
        Run r = backstop("tokenize", "-m", MODEL.toString(), "--text", "The little dog was sad because");
        assertThat(r.exit()).isZero();
        assertThat(r.out().trim()).isEqualTo("1 291 376 400 428 286 296 418 329 429 412 425 372");
    }

    @Test
    void infoDescribesTheModel() throws Exception {
        Run r = backstop("info", "-m", MODEL.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("LlamaForCausalLM").contains("512 (506 usable)").contains("F32");
    }

    @Test
    void quantizeWritesALoadableQ4ModelAndRefusesQ8() throws Exception {
        Path out = tmp.resolve("q4");
        Run q = backstop("quantize", "-m", MODEL.toString(), "-o", out.toString());
        assertThat(q.exit()).as(q.err()).isZero();
        assertThat(backstop("info", "-m", out.toString()).out()).contains("dtype:             Q4");
        Run q8 = backstop("quantize", "-m", MODEL.toString(), "-o", tmp.resolve("q8").toString(), "--type", "Q8");
        assertThat(q8.exit()).isEqualTo(1);
        assertThat(q8.errorLines()).singleElement().asString().contains("Q8 is not offered");
    }

    @Test
    void badArgumentsGiveOneClearLineAndANonZeroExit() throws Exception {
        record Case(String[] args, int exit, String message) {}
        List<Case> cases = List.of(
                new Case(new String[] {"generate", "-m", MODEL.toString(), "-p", "x", "--temperature", "5"}, 2, "temperature must be in [0, 2]"),
                new Case(new String[] {"generate", "-m", MODEL.toString(), "-p", "x", "--max-tokens", "many"}, 2, "--max-tokens"),
                new Case(new String[] {"generate", "-p", "x"}, 2, "--model"),
                new Case(new String[] {"generate", "-m", tmp.resolve("none").toString(), "-p", "x"}, 1, "does not exist"),
                new Case(new String[] {"generate", "-m", MODEL.toString(), "-p", "x", "--template", "nope"}, 2, "unknown chat template 'nope'"),
                new Case(new String[] {"generate", "-m", MODEL.toString(), "-p", "x", "--chat"}, 2, "has no chat template"),
                new Case(new String[] {"frobnicate"}, 2, "frobnicate"));
        for (Case c : cases) {
            Run r = backstop(c.args());
            assertThat(r.exit()).as(String.join(" ", c.args())).isEqualTo(c.exit());
            assertThat(r.errorLines()).as(r.err()).singleElement().asString().contains(c.message());
            assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Run r = backstop("--help");
        assertThat(r.exit()).isZero();
        assertThat(Stream.of("generate", "info", "tokenize", "quantize", "fetch-model").collect(Collectors.toList()))
                .allSatisfy(c -> assertThat(r.out()).contains(c));
    }
}
