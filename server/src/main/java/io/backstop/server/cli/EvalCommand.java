package io.backstop.server.cli;

import io.backstop.engine.cli.CliErrors;
import io.backstop.server.config.ConfigException;
import io.backstop.server.observe.eval.EvalCase;
import io.backstop.server.observe.eval.EvalClient;
import io.backstop.server.observe.eval.EvalReport;
import io.backstop.server.observe.eval.EvalRunner;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code backstop eval}: a JSON Lines suite of cases against a route of a running server, or of the
 * server it starts itself ({@code --model}, {@code --config}); gates CI by pass rate.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a route of a running server (--url), or of a server started in this process on a free loopback port",
                "(--model PATH or --config FILE), on a JSON Lines file of cases.",
                "Each case: an input (input, messages or prompt) and assertions (contains, not_contains, regex, equals,",
                "json_schema, max_latency_ms, max_cost_usd, judge with a rubric and threshold, pairwise against another route).",
                "Prints a line per case and a summary; writes PREFIX.md and PREFIX.json.",
                "Exit 0 when the pass rate reaches --min-pass-rate, 1 below it or when the server fails, 2 for bad input."})
public final class EvalCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "The cases, one JSON object per line.")
    Path data;

    @Option(names = "--route", paramLabel = "NAME", description = "The route or model that answers the cases (default with --model: the model).")
    String route;

    @Option(names = {"-m", "--model"}, paramLabel = "PATH",
            description = "Start the server here with this one model (a directory or GGUF file) and evaluate it; instead of --url.")
    Path model;

    @Option(names = "--name", paramLabel = "NAME", description = "Public name of --model (default: as serve names it).")
    String name;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Start the server here with this configuration (models, routes, guardrails, judges) and evaluate it; instead of --url.")
    Path config;

    @Option(names = "--judge", paramLabel = "ROUTE", description = "The route or model that judges (needed by judge and pairwise checks).")
    String judge;

    @Option(names = "--url", paramLabel = "URL", description = "The server's base URL (default: ${DEFAULT-VALUE}).", defaultValue = "http://127.0.0.1:8080")
    URI url;

    @Option(names = "--api-key-env", paramLabel = "VAR", description = "Environment variable holding the server's API key (default: ${DEFAULT-VALUE}).",
            defaultValue = "BACKSTOP_API_KEY")
    String apiKeyEnv;

    @Option(names = "--min-pass-rate", paramLabel = "R", description = "Exit 1 when fewer than this share of cases pass, 0–1 (default: ${DEFAULT-VALUE}).",
            defaultValue = "0")
    double minPassRate;

    @Option(names = "--out", paramLabel = "PREFIX", description = "Where the reports go: PREFIX.md and PREFIX.json (default: ${DEFAULT-VALUE}).",
            defaultValue = "eval-report")
    Path out;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Time limit per request (default: ${DEFAULT-VALUE}).", defaultValue = "300")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print the JSON report instead of the text summary.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (minPassRate < 0 || minPassRate > 1) throw CliErrors.usage(spec, "--min-pass-rate must be between 0 and 1");
        if (timeoutSeconds < 1) throw CliErrors.usage(spec, "--timeout must be at least 1 second");
        if (url.getScheme() == null || !url.getScheme().startsWith("http") || url.getHost() == null) {
            throw CliErrors.usage(spec, "--url must be an http(s) URL such as http://127.0.0.1:8080, got '" + url + "'");
        }
        boolean inProcess = model != null || config != null;
        if (model != null && config != null) throw CliErrors.usage(spec, "give either --model or --config, not both");
        if (inProcess && spec.commandLine().getParseResult().hasMatchedOption("--url")) {
            throw CliErrors.usage(spec, "--url names a running server; --model and --config start one here: give one of them");
        }
        if (name != null && model == null) throw CliErrors.usage(spec, "--name applies to --model only");
        if (name != null && name.isBlank()) throw CliErrors.usage(spec, "--name must not be empty");
        if (route == null && model == null) throw CliErrors.usage(spec, "--route is required (it defaults to the model only with --model)");
        List<EvalCase> cases;
        try {
            cases = EvalCase.read(data);
        } catch (IllegalArgumentException e) {
            throw CliErrors.usage(spec, "--data: " + e.getMessage());
        }
        if (judge == null && cases.stream().anyMatch(EvalCase::judged)) {
            throw CliErrors.usage(spec, "--judge is required: case '" + cases.stream().filter(EvalCase::judged).findFirst().orElseThrow().id()
                    + "' has a judge or pairwise check");
        }
        if (!inProcess) return evaluate(cases, url, System.getenv(apiKeyEnv), route);
        EvalServer server;
        try {
            server = model != null ? EvalServer.model(model, name, System.getenv()) : EvalServer.config(config, System.getenv());
        } catch (ConfigException e) {
            throw CliErrors.usage(spec, e.getMessage());
        }
        try (server) {
            String key = System.getenv(apiKeyEnv) != null ? System.getenv(apiKeyEnv) : server.apiKey();
            return evaluate(cases, server.url(), key, route != null ? route : server.modelName());
        }
    }

    private int evaluate(List<EvalCase> cases, URI at, String apiKey, String route) throws IOException {
        EvalClient client = new EvalClient(at, apiKey, Duration.ofSeconds(timeoutSeconds));
        EvalReport report = new EvalReport(route, judge, new EvalRunner(client, route, judge).run(cases));
        Path md = Path.of(out + ".md");
        Path js = Path.of(out + ".json");
        if (md.toAbsolutePath().getParent() != null) Files.createDirectories(md.toAbsolutePath().getParent());
        Files.writeString(md, report.markdown());
        Files.writeString(js, report.json().toPrettyString());
        if (json) System.out.println(report.json().toPrettyString());
        else System.out.print(report.text());
        if (report.cases().stream().allMatch(c -> c.answer() == null)) {
            System.err.println("eval: no case got an answer: " + report.cases().get(0).error());
            return CliErrors.FAILURE;
        }
        if (report.passRate() < minPassRate) {
            System.err.printf(java.util.Locale.ROOT, "eval: pass rate %.3f is below --min-pass-rate %.3f%n", report.passRate(), minPassRate);
            return CliErrors.FAILURE;
        }
        return 0;
    }
}
