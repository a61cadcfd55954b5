package io.backstop.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backstop.engine.TestModels.Reference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat prompts: the built-in raw template, model templates, and clear errors. */
class ChatTest {
    @TempDir
    Path tmp;

    @Test
    void rawTemplateTurnsASingleUserMessageIntoTheReferencePrompt() {
        Reference ref = TestModels.references().stream().filter(r -> r.name().equals("lily-and-tom-200")).findFirst().orElseThrow();
        GenerationResult r = TestModels.stories().generate(GenerationRequest.builder(
                Prompt.chat(List.of(ChatMessage.user(ref.prompt())), "raw")).greedy().maxTokens(ref.maxTokens()).build());
        assertThat(r.tokenIds()).containsExactly(ref.generatedIds());
    }

    @Test
    void rawTemplateJoinsContentsWithNewlinesAndNoRoles() {
        String p = TestModels.stories().renderChat(List.of(ChatMessage.system("Be kind."), ChatMessage.user("Hi")), "raw");
        assertThat(p).isEqualTo("Be kind.\nHi");
    }

    @Test
    void aModelWithoutTemplateAskedForChatWithNoneNamedGetsAClearError() {
        assertThatThrownBy(() -> TestModels.stories().generate(GenerationRequest.builder(
                Prompt.chat(List.of(ChatMessage.user("Hi")))).maxTokens(3).build()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("has no chat template")
                .hasMessageContaining("raw");
    }

    @Test
    void unknownTemplateNamesAreListed() {
        assertThatThrownBy(() -> TestModels.stories().renderChat(List.of(ChatMessage.user("Hi")), "llama9"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("llama9").hasMessageContaining("raw").hasMessageContaining("chatml");
    }

    @Test
    void theModelsOwnTemplateFromTokenizerConfigIsUsedByDefault() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("chatty"));
        try (var files = Files.list(TestModels.storiesDir())) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        String config = Files.readString(dir.resolve("tokenizer_config.json"));
        String template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";
        dir.resolve("tokenizer_config.json").toFile().setWritable(true);
        Files.writeString(dir.resolve("tokenizer_config.json"), config.replaceFirst("\\{", java.util.regex.Matcher.quoteReplacement("{\"chat_template\": \"" + template + "\",")));
        try (Model m = Engine.load(dir)) {
            assertThat(m.info().chatTemplates()).containsExactly("default");
            String rendered = m.renderChat(List.of(ChatMessage.developer("Rules"), ChatMessage.user("Hi")), null);
            assertThat(rendered).isEqualTo("[system] Rules\n[user] Hi\n[assistant]");
            GenerationResult r = m.generate(GenerationRequest.builder(Prompt.chat(List.of(ChatMessage.user("Hi")))).greedy().maxTokens(5).build());
            assertThat(r.usage().promptTokens()).isEqualTo(m.tokenize("[user] Hi\n[assistant]", true).length);
        }
    }
}
