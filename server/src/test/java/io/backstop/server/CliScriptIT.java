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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
        List<String> errorLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    static Run backstop(String... args) throws Exception {
        return backstop(Map.of(), null, args);
    }

    /** Runs scripts/backstop with extra environment variables and, when {@code stdin} is not null, that standard input. */
    static Run backstop(Map<String, String> env, String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("scripts/backstop").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("BACKSTOP_SKIP_BUILD", "1"); // the build under test is already packaged
        pb.environment().putAll(env);
        Process p = pb.start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) { // e.g. a server that started although its flags were wrong
            p.destroyForcibly();
            throw new AssertionError("backstop " + String.join(" ", args) + " did not end");
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
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
        assertThat(q8.exit()).isEqualTo(2);
        assertThat(q8.errorLines()).singleElement().asString().contains("--type: Q8 is not offered");
        assertThat(tmp.resolve("q8")).doesNotExist();
    }

    @Test
    void quantizeWritesIntoModelsByDefaultNeverBesideTheSource() throws Exception {
        List<String> sourceFolder = list(MODEL.getParent());
        // scripts/backstop passes -Dbackstop.home=<checkout>; a later -D in BACKSTOP_JAVA_OPTS wins, so models/ is ours here
        Run q = backstop(Map.of("BACKSTOP_JAVA_OPTS", "-Dbackstop.home=" + tmp), null, "quantize", "-m", MODEL.toString());
        assertThat(q.exit()).as(q.err()).isZero();
        Path expected = tmp.resolve("models/stories260K-Q4");
        assertThat(q.out().trim()).isEqualTo(expected.toString());
        assertThat(expected.resolve("config.json")).exists();
        assertThat(list(MODEL.getParent())).isEqualTo(sourceFolder);
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theJvmsIncubatorWarningIsNotShown() throws Exception {
        Run r = backstop("tokenize", "-m", MODEL.toString(), "--text", "x");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).doesNotContain("WARNING").doesNotContain("incubator");
        Run bad = backstop("tokenize", "-m", MODEL.toString());
        assertThat(bad.errorLines()).singleElement().asString().startsWith("backstop tokenize: missing --text");
    }

    /** The first greedy reference: its prompt, the tokens to generate, and what stdout must then be. */
    record Greedy(String prompt, String maxTokens, String out) {
        static Greedy first() throws IOException {
            JsonNode ref = references().findFirst().orElseThrow();
            String prompt = ref.get("prompt").asText();
            int maxTokens = ref.get("steps").asInt() - ref.get("prompt_ids").size() + 1;
            return new Greedy(prompt, String.valueOf(maxTokens), ref.get("text").asText().substring(prompt.length()) + "\n");
        }
    }

    @Test
    void timeoutZeroMeansNoLimit() throws Exception {
        Greedy g = Greedy.first();
        Run r = backstop("generate", "-m", MODEL.toString(), "-p", g.prompt(), "-n", g.maxTokens(), "-t", "0", "--timeout", "0");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(g.out());
    }

    @Test
    void anAtSignStartsAPromptLikeAnyOtherCharacter() throws Exception {
        Path file = tmp.resolve("prompt.txt");
        Files.writeString(file, "The little dog was sad because");
        Run r = backstop("generate", "-m", MODEL.toString(), "-p", "@" + file, "-n", "1", "-t", "0", "--echo");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("@" + file);
    }

    @Test
    void thePromptCanComeFromAFileOrStandardInput() throws Exception {
        String ids = "1 291 376 400 428 286 296 418 329 429 412 425 372";
        Path file = tmp.resolve("prompt.txt");
        Files.writeString(file, "The little dog was sad because\n"); // the editor's final newline is not part of the text
        assertThat(backstop("tokenize", "-m", MODEL.toString(), "--text-file", file.toString()).out().trim()).isEqualTo(ids);
        assertThat(backstop(Map.of(), "The little dog was sad because\n", "tokenize", "-m", MODEL.toString(), "--text", "-").out().trim())
                .isEqualTo(ids);
        Greedy g = Greedy.first();
        Run fromStdin = backstop(Map.of(), g.prompt(), "generate", "-m", MODEL.toString(), "-p", "-", "-n", g.maxTokens(), "-t", "0");
        assertThat(fromStdin.out()).as(fromStdin.err()).isEqualTo(g.out());
        Files.writeString(file, g.prompt() + "\n");
        Run fromFile = backstop("generate", "-m", MODEL.toString(), "--prompt-file", file.toString(), "-n", g.maxTokens(), "-t", "0");
        assertThat(fromFile.out()).as(fromFile.err()).isEqualTo(g.out());
    }

    @Test
    void logLevelShowsTheLibrariesLogs() throws Exception {
        assertThat(backstop("info", "-m", MODEL.toString()).err()).isEmpty();
        Run r = backstop("info", "-m", MODEL.toString(), "--log-level", "info");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).contains("INFO com.github.tjake.jlama");
    }

    @Test
    void badArgumentsGiveOneClearLineAndANonZeroExit() throws Exception {
        record Case(String[] args, int exit, String message) {}
        String model = MODEL.toString();
        List<Case> cases = List.of(
                new Case(new String[] {"generate", "-m", MODEL.toString(), "-p", "x", "--temperature", "5"}, 2, "--temperature must be in [0, 2], got 5"),
                new Case(new String[] {"generate", "-m", model, "-p", "x", "--logprobs", "50"}, 2, "--logprobs must be in [0, 20], got 50"),
                new Case(new String[] {"generate", "-m", model, "-p", "x", "--timeout", "-1"}, 2, "--timeout must be 0 (no limit)"),
                new Case(new String[] {"generate", "-m", model, "-p", "x", "--threads", "-1"}, 2, "--threads must be between 0"),
                new Case(new String[] {"generate", "-m", model, "-p", "x", "--log-level", "loud"}, 2, "--log-level must be one of"),
                new Case(new String[] {"generate", "-m", model}, 2, "missing --prompt"),
                new Case(new String[] {"generate", "-m", model, "-p", "x", "--prompt-file", model}, 2, "give --prompt or --prompt-file, not both"),
                new Case(new String[] {"generate", "-m", model, "--prompt-file", tmp.resolve("none.txt").toString()}, 2, "--prompt-file: no such file"),
                new Case(new String[] {"quantize", "-m", model, "--type", "Q2"}, 2, "--type: unknown quantization 'Q2'"),
                // serve: each stops before a model loads or "listening" is printed (the one-line check)
                new Case(new String[] {"serve", "--model", model, "--port", "99999"}, 2, "--port must be between 0 and 65535, got 99999"),
                new Case(new String[] {"serve", "--model", model, "--max-in-flight", "0"}, 2, "--max-in-flight must be between 1 and 64, got 0"),
                new Case(new String[] {"serve", "--model", model, "--queue-size", "-1"}, 2, "--queue-size must be between 0"),
                new Case(new String[] {"serve", "--model", model, "--config", ROOT.resolve("models/example.yaml").toString()}, 2,
                        "give either --model or --config, not both"),
                new Case(new String[] {"serve", "--name", "x"}, 2, "--name applies to --model only"),
                new Case(new String[] {"serve", "--model", model, "--port", "0", "--chat-template", "nope"}, 2,
                        "--chat-template: unknown chat template 'nope'"),
                new Case(new String[] {"serve", "--model", model, "--log-level", "chatty"}, 2, "--log-level must be one of"),
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
        assertThat(Stream.of("serve", "generate", "info", "tokenize", "quantize", "fetch-model", "bench").collect(Collectors.toList()))
                .allSatisfy(c -> assertThat(r.out()).containsPattern("(?m)^  " + c + " "));
    }
}
