package io.backstop.bench.grammar;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.bench.Hardware;
import io.backstop.bench.synthetic.Shape;
import io.backstop.bench.synthetic.SyntheticModel;
import io.backstop.engine.Engine;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backstop bench grammar}: token-mask cost per step, compile time per schema, decode speed with a constraint. */
@Command(name = "grammar", mixinStandardHelpOptions = true,
        description = {"Constrained decoding: token-mask time, grammar compile time, constrained vs free decode.",
                "Mask time per token (p50/p99 after warm-up) for a JSON schema on 128K- and 151K-token vocabularies,",
                "grammar compile + vocabulary index time, and decode tok/s constrained vs free on a model."})
public final class GrammarBenchCommand implements Callable<Integer> {
    @Option(names = "--vocab-sizes", split = ",", defaultValue = "128256,151936",
            description = "Synthetic vocabulary sizes (default: ${DEFAULT-VALUE}, as Llama 3 and Qwen2).")
    List<Integer> vocabSizes;

    @Option(names = "--gguf-vocab", split = ",", paramLabel = "FILE",
            description = "GGUF files whose real vocabularies to measure instead of synthetic ones (e.g. ../shared/models/gguf-vocab/llama-bpe.gguf,qwen2.gguf).")
    List<Path> ggufVocab;

    @Option(names = "--docs", defaultValue = "20", description = "Simulated documents measured per vocabulary after warm-up (default: ${DEFAULT-VALUE}).")
    int docs;

    @Option(names = "--warmup-docs", defaultValue = "20", description = "Documents generated first to fill the mask caches (default: ${DEFAULT-VALUE}).")
    int warmupDocs;

    @Option(names = "--budget", defaultValue = "256", description = "Token budget per document (default: ${DEFAULT-VALUE}).")
    int budget;

    @Option(names = "--model", paramLabel = "DIR", description = "Model for the decode ratio (default: a synthetic TinyLlama-shaped model; none with --no-decode).")
    Path model;

    @Option(names = "--no-decode", description = "Skip the decode-speed comparison.")
    boolean noDecode;

    @Option(names = "--decode-tokens", defaultValue = "128", description = "max_tokens per decode run (default: ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--decode-runs", defaultValue = "5", description = "Timed decode runs per side (default: ${DEFAULT-VALUE}).")
    int decodeRuns;

    @Option(names = "--cache", paramLabel = "DIR", description = "Synthetic model cache (default: <backstop>/bench/models).")
    Path cache;

    @Option(names = "--smoke", description = "Tiny sizes: checks the benchmark works, measures nothing.")
    boolean smoke;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <backstop>/bench/results).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("backstop.home", "."));
        List<Integer> sizes = smoke ? List.of(4096) : vocabSizes;
        int w = smoke ? 1 : warmupDocs, d = smoke ? 2 : docs, b = budget;
        StringBuilder md = new StringBuilder();
        md.append("Hardware: ").append(Hardware.oneLine()).append("\n\n");
        md.append("| vocabulary | tokens | trie nodes | index ms (cpu) | compile ms (cpu) | states | mask p50 µs | mask p99 µs | max µs | cold p50 µs | cold p99 µs | masks cached | complete docs |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        List<GrammarBench.MaskResult> results = new ArrayList<>();
        List<Object> vocabularies = ggufVocab != null && !smoke ? new ArrayList<>(ggufVocab) : new ArrayList<>(sizes);
        for (Object which : vocabularies) {
            String name;
            io.backstop.engine.backend.Vocabulary v;
            if (which instanceof Path file) {
                name = file.getFileName().toString();
                try (io.backstop.engine.backend.gguf.file.GgufFile f = io.backstop.engine.backend.gguf.file.GgufFile.open(file)) {
                    v = io.backstop.engine.backend.gguf.tokenizer.GgufTokenizer.from(f.metadata()).vocabulary();
                }
            } else {
                name = "synthetic-" + which;
                v = new SyntheticVocabulary((Integer) which, 42);
            }
            GrammarBench.MaskResult r = GrammarBench.masks(name, v, GrammarBench.SCHEMA, w, d, b, 7);
            results.add(r);
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.0f (%.0f) | %.1f (%.1f) | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %d/%d |%n",
                    r.vocabulary(), r.vocabSize(), r.trieNodes(), r.indexMillis(), r.indexCpuMillis(), r.compileMillis(), r.compileCpuMillis(),
                    r.automatonStates(), r.p50Micros(),
                    r.p99Micros(), r.maxMicros(), r.coldP50Micros(), r.coldP99Micros(), r.cachedStates(), r.completeDocuments(), r.documents()));
        }
        GrammarBench.DecodeResult decode = null;
        if (!noDecode) {
            Path dir = model;
            if (dir == null) {
                Shape shape = smoke ? Shape.TINY : Shape.NAMED.get("tinyllama-1.1b");
                dir = SyntheticModel.ensure(shape, smoke ? SyntheticModel.Dtype.F32 : SyntheticModel.Dtype.Q4, cache != null ? cache : home.resolve("bench/models"),
                        io.backstop.engine.hub.ProgressListener.NONE);
            }
            try (Model m = Engine.load(dir, LoadOptions.defaults().withConcurrency(1, 0))) {
                decode = GrammarBench.decode(m, GrammarBench.SCHEMA, smoke ? 8 : decodeTokens, smoke ? 0 : 1, smoke ? 1 : decodeRuns);
            }
            md.append(String.format(Locale.ROOT, "%n| model | runs | free tok/s | constrained tok/s | ratio | constrained tokens/run |%n|---|---|---|---|---|---|%n| %s | %d | %.2f | %.2f | %.3f | %.0f |%n",
                    decode.model(), decode.runs(), decode.freeTokensPerSecond(), decode.constrainedTokensPerSecond(), decode.ratio(), decode.constrainedTokensPerRun()));
        }
        System.out.print(md);
        if (!smoke) write(out != null ? out : home.resolve("bench/results"), results, decode, md.toString());
        return 0;
    }

    private static void write(Path dir, List<GrammarBench.MaskResult> masks, GrammarBench.DecodeResult decode, String md) throws Exception {
        Files.createDirectories(dir);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "grammar");
        json.put("hardware", Hardware.describe());
        json.put("schema", GrammarBench.SCHEMA);
        json.put("masks", masks);
        json.put("decode", decode);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("grammar.json").toFile(), json);
        Files.writeString(dir.resolve("grammar.md"), md);
        System.err.println("bench: wrote " + dir.resolve("grammar.json") + " and .md");
    }
}
