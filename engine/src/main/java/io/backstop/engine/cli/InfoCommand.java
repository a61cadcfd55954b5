package io.backstop.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.backstop.engine.LoadOptions;
import io.backstop.engine.Model;
import io.backstop.engine.ModelInfo;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code backstop info}: describes a model. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a model: architecture, size, tensor types, context, vocabulary, chat templates.")
public final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Mixin
    LogLevelOption logLevel;

    @Override
    public Integer call() throws Exception {
        try (Model m = model.load(LoadOptions.defaults().withConcurrency(1, 0).withWarmUp(false))) {
            ModelInfo i = m.info();
            if (json) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(i));
                return 0;
            }
            System.out.printf(Locale.ROOT, """
                    name:              %s
                    path:              %s
                    backend:           %s
                    architecture:      %s
                    parameters:        %,d (%s)
                    dtype:             %s
                    context length:    %d (%d usable)
                    vocabulary:        %d
                    hidden size:       %d
                    layers:            %d
                    attention heads:   %d (%d key/value)
                    MLP width:         %d
                    tensor types:      %s
                    chat templates:    %s
                    """, i.name(), i.path(), i.backend(), i.architecture(), i.parameterCount(), humanCount(i.parameterCount()),
                    i.dtype(), i.contextLength(), i.usablePositions(), i.vocabSize(), i.hiddenSize(), i.layers(),
                    i.attentionHeads(), i.kvHeads(), i.intermediateSize(), tensorTypes(i),
                    i.chatTemplates().isEmpty() ? "none (use --template raw for chat)" : String.join(", ", i.chatTemplates()));
            return 0;
        }
    }

    /** e.g. "Q4_K 498.1 MB, Q6_K 108.7 MB, F32 0.1 MB". */
    static String tensorTypes(ModelInfo i) {
        if (i.bytesByType().isEmpty()) return "–";
        StringBuilder sb = new StringBuilder();
        i.bytesByType().forEach((type, bytes) -> sb.append(sb.isEmpty() ? "" : ", ").append(type)
                .append(String.format(Locale.ROOT, " %.1f MB", bytes / 1e6)));
        return sb.toString();
    }

    static String humanCount(long n) {
        if (n >= 1_000_000_000) return String.format(Locale.ROOT, "%.2fB", n / 1e9);
        if (n >= 1_000_000) return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        if (n >= 1_000) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }
}
