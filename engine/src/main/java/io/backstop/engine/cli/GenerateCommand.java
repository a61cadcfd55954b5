package io.backstop.engine.cli;

import io.backstop.engine.ChatMessage;
import io.backstop.engine.Engine;
import io.backstop.engine.GenerationListener;
import io.backstop.engine.GenerationRequest;
import io.backstop.engine.GenerationResult;
import io.backstop.engine.InvalidRequestException;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.Prompt;
import io.backstop.engine.TokenLogprob;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop generate}: streams a completion to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a prompt and stream it to stdout.",
                "Timings (--verbose) and log-probabilities (--logprobs) go to stderr."})
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The prompt (raw text unless --chat); - reads it from standard input.")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "FILE", description = "Read the prompt from a UTF-8 file (one trailing newline is dropped).")
    Path promptFile;

    @Option(names = "--chat", description = "Send the prompt as a user message through the chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message (implies --chat).")
    String system;

    @Option(names = "--template", paramLabel = "NAME", description = "Chat template: one the model ships, 'raw' or 'chatml' (implies --chat).")
    String template;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "Tokens to generate (default: until a stop or the context ends).")
    Integer maxTokens;

    @Option(names = {"-t", "--temperature"}, paramLabel = "T", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Keep the K most likely tokens; 0 = off.")
    int topK;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0", description = "Drop tokens below P × the best token's probability.")
    double minP;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed: the same seed and options give the same text.")
    Long seed;

    @Option(names = "--stop", paramLabel = "STR", description = "Stop string, never printed (repeatable, at most 4).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop-token-id", paramLabel = "ID", description = "Token id that ends generation (repeatable).")
    List<Integer> stopTokenIds = new ArrayList<>();

    @Option(names = "--repetition-penalty", paramLabel = "R", defaultValue = "1.0", description = "> 1 discourages tokens already seen.")
    double repetitionPenalty;

    @Option(names = "--presence-penalty", paramLabel = "P", defaultValue = "0", description = "-2..2, OpenAI semantics.")
    double presencePenalty;

    @Option(names = "--frequency-penalty", paramLabel = "F", defaultValue = "0", description = "-2..2, OpenAI semantics.")
    double frequencyPenalty;

    @Option(names = "--logit-bias", paramLabel = "ID=BIAS", description = "Add BIAS (-100..100) to a token's logit (repeatable).")
    Map<Integer, Double> logitBias = new LinkedHashMap<>();

    @Option(names = "--logprobs", paramLabel = "N", description = "Print each token's log-probability and N alternatives to stderr.")
    Integer logprobs;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Stop generating after this many seconds (default: 0 = no limit).")
    double timeoutSeconds;

    @Option(names = "--echo", description = "Print the prompt before the generated text.")
    boolean echo;

    @Option(names = {"-v", "--verbose"}, description = "Print timings (time to first token, prefill and decode tok/s) to stderr.")
    boolean verbose;

    @Mixin
    LogLevelOption logLevel;

    @Spec
    CommandSpec spec;

    /** OpenAI field names in the engine's messages → this command's flags. */
    private static final Map<String, String> FLAGS = Map.ofEntries(Map.entry("max_tokens", "--max-tokens"),
            Map.entry("temperature", "--temperature"), Map.entry("top_p", "--top-p"), Map.entry("top_k", "--top-k"),
            Map.entry("min_p", "--min-p"), Map.entry("repetition_penalty", "--repetition-penalty"),
            Map.entry("presence_penalty", "--presence-penalty"), Map.entry("frequency_penalty", "--frequency-penalty"),
            Map.entry("logit_bias", "--logit-bias"), Map.entry("stop", "--stop"), Map.entry("stop_token_ids", "--stop-token-id"),
            Map.entry("top_logprobs", "--logprobs"), Map.entry("timeout", "--timeout"), Map.entry("template", "--template"));
    /** A year: longer is a typo, and the engine's deadline arithmetic must not overflow. */
    private static final double MAX_TIMEOUT_SECONDS = 365 * 86400;

    @Override
    public Integer call() {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
        if (!(timeoutSeconds >= 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
            throw CliErrors.usage(spec, "--timeout must be 0 (no limit) or a number of seconds up to " + (long) MAX_TIMEOUT_SECONDS
                    + ", got " + (timeoutSeconds == Math.rint(timeoutSeconds) && !Double.isInfinite(timeoutSeconds)
                    ? String.valueOf((long) timeoutSeconds) : String.valueOf(timeoutSeconds)));
        }
        try { // the flags first: a mistyped one must not wait for the prompt on stdin, nor for the model to load
            request("").validate(Integer.MAX_VALUE); // all but token ids, which need the model's vocabulary
            if (isChat()) Engine.checkChatTemplate(model.model, template);
        } catch (InvalidRequestException e) {
            throw usage(e);
        }
        String prompt = PromptInput.read(spec, this.prompt, promptFile, "--prompt", "--prompt-file", System.in);
        GenerationRequest request = request(prompt);
        try (Model m = model.load(LoadOptions.defaults().withConcurrency(1, 0).withWarmUp(false))) {
            if (echo) out.print(prompt);
            GenerationResult r = m.generate(request, new GenerationListener() {
                @Override
                public void onText(String delta) {
                    out.print(delta);
                    out.flush();
                }

                @Override
                public void onToken(int tokenId, TokenLogprob lp) {
                    if (lp != null) err.println(formatLogprob(lp));
                }
            });
            out.println();
            out.flush();
            if (verbose) err.println("backstop: " + r.timings().summary() + " | finish " + r.finishReason().openAiName());
            return 0;
        } catch (InvalidRequestException e) {
            throw usage(e);
        }
    }

    private boolean isChat() {
        return chat || system != null || template != null;
    }

    /** The engine's message with the flag in place of the field: "--temperature must be in [0, 2], got 5". */
    private CommandLine.ParameterException usage(InvalidRequestException e) {
        String flag = FLAGS.get(e.field());
        String message = e.getMessage();
        if (flag != null) message = message.startsWith(e.field() + " ") ? flag + message.substring(e.field().length()) : flag + ": " + message;
        return CliErrors.usage(spec, message);
    }

    private GenerationRequest request(String prompt) {
        Prompt p;
        if (isChat()) {
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) messages.add(ChatMessage.system(system));
            messages.add(ChatMessage.user(prompt));
            p = Prompt.chat(messages, template);
        } else {
            p = Prompt.text(prompt);
        }
        return GenerationRequest.builder(p).maxTokens(maxTokens).temperature(temperature).topP(topP).topK(topK).minP(minP)
                .seed(seed).stop(stop).stopTokenIds(Set.copyOf(stopTokenIds)).repetitionPenalty(repetitionPenalty)
                .presencePenalty(presencePenalty).frequencyPenalty(frequencyPenalty).logitBias(logitBias).logprobs(logprobs)
                .timeout(timeoutSeconds == 0 ? null : Duration.ofMillis(Math.max(1, (long) (timeoutSeconds * 1000))))
                .build();
    }

    private static String formatLogprob(TokenLogprob lp) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "logprob %6d %-12s %8.4f", lp.tokenId(), quote(lp.text()), lp.logprob()));
        for (TokenLogprob.Alternative a : lp.top()) sb.append(String.format(Locale.ROOT, "  %s %.4f", quote(a.text()), a.logprob()));
        return sb.toString();
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }
}
