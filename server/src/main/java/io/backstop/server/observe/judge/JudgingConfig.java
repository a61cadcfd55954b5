package io.backstop.server.observe.judge;

import java.util.Map;

/**
 * Online LLM-as-a-judge: which routes have a share of their answers scored, and the bounded queue the
 * scoring waits in (never in front of an answer: when it is full, a sample is dropped and counted).
 *
 * @param queueSize answers waiting to be judged at most
 * @param workers   judgements running at once
 * @param routes    by the public name of the route (or local model) whose answers are judged
 */
public record JudgingConfig(int queueSize, int workers, Map<String, RouteJudge> routes) {
    public static final int DEFAULT_QUEUE_SIZE = 64;
    public static final int DEFAULT_WORKERS = 1;

    /**
     * @param judge      the route or local model that judges
     * @param sampleRate share of answers judged, 0–1
     * @param rubric     what the judge scores against
     * @param maxTokens  the judge's answer budget
     */
    public record RouteJudge(String judge, double sampleRate, String rubric, int maxTokens) {
        public static final int DEFAULT_MAX_TOKENS = 200;
    }

    public JudgingConfig {
        routes = Map.copyOf(routes);
    }

    public static JudgingConfig none() {
        return new JudgingConfig(DEFAULT_QUEUE_SIZE, DEFAULT_WORKERS, Map.of());
    }
}
