package io.backstop.server.openai;

import io.backstop.engine.Prompt;
import io.backstop.server.guard.GuardService;
import io.backstop.server.http.RequestLog;
import io.backstop.server.lifecycle.InFlight;
import io.backstop.server.route.ModelRegistry;
import io.backstop.server.route.RouteTable;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.List;

/** POST /v1/chat/completions. */
public final class ChatCompletionsHandler implements Handler {
    private final RoutedCompletion completions;
    private final ModelAliases aliases;

    public ChatCompletionsHandler(ModelRegistry models, RouteTable routes, RequestLog log, InFlight inFlight, ModelAliases aliases,
                                  int timeoutSeconds) {
        this(models, routes, log, inFlight, aliases, timeoutSeconds, GuardService.none());
    }

    public ChatCompletionsHandler(ModelRegistry models, RouteTable routes, RequestLog log, InFlight inFlight, ModelAliases aliases,
                                  int timeoutSeconds, GuardService guards) {
        this.completions = new RoutedCompletion(models, routes, new CompletionRunner(log, inFlight), timeoutSeconds, guards);
        this.aliases = aliases;
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String model = aliases.resolve(f.requiredString("model"));
        ChatMessages.parse(f.node("messages")); // checked here; routed as the guardrails leave them (redacted, fitted)
        StructuredOutput structured = StructuredOutput.parse(f, true);
        completions.serve(ctx, model, f, new RoutedCompletion.Endpoint("/chat/completions", true,
                fields -> List.of(Prompt.chat(ChatMessages.parse(fields.node("messages")))),
                (common, m, prompts, local) -> new ChatFormat(common.logprobs() != null, common.includeUsage(), local.tools(), m::tokenTexts),
                RequestMapper.Rules.CHAT, structured));
    }
}
