package io.backstop.server.observe.judge;

import io.backstop.engine.ChatMessage;
import java.util.List;

/** The messages a judge reads: the rubric, the question and the answer (or two answers, for pairwise comparison). */
public final class JudgePrompt {
    private JudgePrompt() {}

    public static List<ChatMessage> single(String rubric, String question, String answer) {
        return List.of(new ChatMessage("system", """
                        You are a strict evaluator. Score the ANSWER to the QUESTION against the RUBRIC from 1 (worst) to 5 (best). \
                        Reply with JSON only: {"score": <1-5>, "pass": <true|false>, "reason": "<one sentence>"}."""),
                new ChatMessage("user", "RUBRIC:\n" + rubric + "\n\nQUESTION:\n" + question + "\n\nANSWER:\n" + answer));
    }

    /** Two answers, A then B: the score says how much better A is (5: A clearly better, 3: equal, 1: B clearly better). */
    public static List<ChatMessage> pairwise(String rubric, String question, String a, String b) {
        return List.of(new ChatMessage("system", """
                        You compare two answers to the same QUESTION against the RUBRIC. Score 5 if ANSWER A is clearly better, 4 if A is \
                        somewhat better, 3 if they are equally good, 2 if B is somewhat better, 1 if B is clearly better; "pass" is true when A \
                        is at least as good as B. Reply with JSON only: {"score": <1-5>, "pass": <true|false>, "reason": "<one sentence>"}."""),
                new ChatMessage("user", "RUBRIC:\n" + rubric + "\n\nQUESTION:\n" + question + "\n\nANSWER A:\n" + a + "\n\nANSWER B:\n" + b));
    }
}
