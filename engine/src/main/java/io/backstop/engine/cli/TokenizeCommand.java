package io.backstop.engine.cli;

import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code backstop tokenize}: prints the token ids of a text. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Print the token ids of a text (BOS included unless --no-bos).")
public final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = {"-p", "--text", "--prompt"}, paramLabel = "TEXT", description = "Text to tokenize; - reads it from standard input.")
    String text;

    @Option(names = {"--text-file", "--prompt-file"}, paramLabel = "FILE", description = "Read the text from a UTF-8 file (one trailing newline is dropped).")
    Path textFile;

    @Option(names = "--no-bos", description = "Do not add the BOS token.")
    boolean noBos;

    @Option(names = "--pieces", description = "Print one token per line: id, then the vocabulary piece.")
    boolean pieces;

    @Mixin
    LogLevelOption logLevel;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String text = PromptInput.read(spec, this.text, textFile, "--text", "--text-file", System.in);
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        try (Model m = model.load(LoadOptions.defaults().withConcurrency(1, 0).withWarmUp(false))) {
            int[] ids = m.tokenize(text, !noBos);
            if (pieces) {
                for (int id : ids) out.println(id + "\t" + m.backend().vocabulary().piece(id));
            } else {
                out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
            }
            return 0;
        }
    }
}
