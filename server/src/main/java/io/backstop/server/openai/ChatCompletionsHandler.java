package io.backstop.server.openai;

import io.backstop.engine.ChatMessage;
import io.backstop.engine.Prompt;
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
        this.completions = new RoutedCompletion(models, routes, new CompletionRunner(log, inFlight), timeoutSeconds);
        this.aliases = aliases;
    }

    @Override
    public void handle(Context ctx) {
        Fields f = new Fields(Json.parseBody(ctx.bodyAsBytes()));
        String model = aliases.resolve(f.requiredString("model"));
        List<ChatMessage> messages = ChatMessages.parse(f.node("messages"));
        StructuredOutput structured = StructuredOutput.parse(f, true);
        completions.serve(ctx, model, f, new RoutedCompletion.Endpoint("/chat/completions", true, fields -> List.of(Prompt.chat(messages)),
                (common, m, local) -> new ChatFormat(common.logprobs() != null, common.includeUsage(), local.tools(), m::tokenTexts), RequestMapper.Rules.CHAT,
                structured));
    }
}
