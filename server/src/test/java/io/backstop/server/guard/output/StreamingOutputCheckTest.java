package io.backstop.server.guard.output;

import static io.backstop.server.guard.GuardTestData.ALNUM;
import static io.backstop.server.guard.GuardTestData.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.backstop.server.guard.GuardProfile;
import io.backstop.server.guard.GuardTestData;
import io.backstop.server.guard.Vault;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingOutputCheckTest {
    private static String stream(StreamingOutputCheck s, List<String> deltas, List<OutputChunk> chunks) {
        StringBuilder b = new StringBuilder();
        for (String d : deltas) {
            OutputChunk c = s.accept(d);
            chunks.add(c);
            b.append(c.text());
        }
        OutputChunk end = s.finish();
        chunks.add(end);
        return b.append(end.text()).toString();
    }

    @Test
    void aSecretSplitOverThreeDeltasIsRedactedWhole() {
        String token = "ghp_" + random(3, ALNUM, 36);
        List<String> deltas = List.of("Your token is ", token.substring(0, 9), token.substring(9, 25), token.substring(25), " and keep it safe.");
        StreamingOutputCheck s = new OutputGuard(GuardProfile.defaults("p")).open(null);
        List<OutputChunk> chunks = new ArrayList<>();
        String out = stream(s, deltas, chunks);
        assertThat(out).isEqualTo("Your token is [SECRET_1] and keep it safe.");
        assertThat(chunks).noneSatisfy(c -> assertThat(c.text()).contains(token.substring(0, 9)));
        assertThat(chunks.getFirst().text()).isEqualTo("Your token is ");  // text before the token is not held back
    }

    @Test
    void aBlockingCheckEndsTheStreamWithContentFilter() throws Exception {
        GuardProfile p = GuardTestData.profile("deny: {terms: [project falcon]}\noutput: {deny: block}");
        StreamingOutputCheck s = new OutputGuard(p).open(null);
        assertThat(s.accept("The plan is called ").text()).isEqualTo("The plan is called ");
        OutputChunk c1 = s.accept("Project ");
        OutputChunk c2 = s.accept("Falcon and it starts");
        assertThat(c1.text() + c2.text()).doesNotContain("Falcon");
        assertThat(c2.finishReason()).isEqualTo("content_filter");
        assertThat(s.accept("more").text()).isEmpty();
    }

    @Test
    void piiInTheAnswerIsRedactedAcrossChunks() throws Exception {
        GuardProfile p = GuardTestData.profile("output: {pii: redact}");
        StreamingOutputCheck s = new OutputGuard(p).open(null);
        String out = stream(s, List.of("Call +44 20 ", "7946 09", "58 or mail jo", "e@exam", "ple.org."), new ArrayList<>());
        assertThat(out).isEqualTo("Call [PHONE_1] or mail [EMAIL_1].");
    }

    @Test
    void inputPlaceholdersAreRestoredEvenWhenSplit() {
        Vault v = Vault.empty();
        String p = v.placeholder("EMAIL", "bob@example.com");
        StreamingOutputCheck s = new OutputGuard(GuardProfile.defaults("p")).open(v);
        String out = stream(s, List.of("I wrote to ", p.substring(0, 4), p.substring(4), " today."), new ArrayList<>());
        assertThat(out).isEqualTo("I wrote to bob@example.com today.");
    }

    @Test
    void anOutputRedactionIsNeverRestoredAsAnInputValue() {
        Vault v = Vault.empty();
        v.placeholder("EMAIL", "bob@example.com"); // the request's [EMAIL_1]
        GuardProfile p = GuardTestData.profile("output: {pii: redact}");
        String out = new OutputGuard(p).checkAnswer("Ask [EMAIL_1] or alice@example.org.", v).text();
        assertThat(out).isEqualTo("Ask bob@example.com or [EMAIL_1].").doesNotContain("alice");
    }

    @Test
    void maxLengthCutsTheAnswerWithFinishReasonLength() throws Exception {
        GuardProfile p = GuardTestData.profile("output: {max_chars: 10}");
        StreamingOutputCheck s = new OutputGuard(p).open(null);
        List<OutputChunk> chunks = new ArrayList<>();
        String out = stream(s, List.of("one two ", "three four five"), chunks);
        assertThat(out).hasSize(10).isEqualTo("one two th");
        assertThat(chunks.stream().filter(OutputChunk::stopped).findFirst()).get().extracting(OutputChunk::finishReason).isEqualTo("length");
    }

    @Test
    void aWholeAnswerIsCheckedLikeAStreamOfOneDelta() {
        String token = "ghp_" + random(4, ALNUM, 36);
        OutputChunk c = new OutputGuard(GuardProfile.defaults("p")).checkAnswer("token " + token + " end", null);
        assertThat(c.text()).isEqualTo("token [SECRET_1] end");
        assertThat(c.finishReason()).isNull();
    }
}
